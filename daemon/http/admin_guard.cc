#include "daemon/http/admin_guard.h"

#include <arpa/inet.h>

#include "absl/base/macros.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "daemon/base/checked_file.h"

namespace outcomes {
namespace {

constexpr size_t kMinTokenBytes = 16;

// Compares in time that depends on the lengths only.
bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

// "http://" or "https://" followed by exactly the Host header.
bool SameOrigin(const std::string& origin, const std::string& host) {
  absl::string_view rest = origin;
  if (!absl::ConsumePrefix(&rest, "http://") &&
      !absl::ConsumePrefix(&rest, "https://")) {
    return false;
  }
  return !host.empty() && absl::EqualsIgnoreCase(rest, host);
}

bool CrossSite(const HttpRequest& r) {
  if (!r.sec_fetch_site.empty() && r.sec_fetch_site != "same-origin" &&
      r.sec_fetch_site != "none") {
    return true;
  }
  return !r.origin.empty() && !SameOrigin(r.origin, r.host);
}

std::string HostName(const std::string& host_header) {
  absl::string_view h = host_header;
  if (absl::ConsumePrefix(&h, "[")) {
    const size_t close = h.find(']');
    return close == absl::string_view::npos ? ""
                                            : std::string(h.substr(0, close));
  }
  return std::string(h.substr(0, h.find(':')));
}

}  // namespace

bool IsLoopbackHost(const std::string& host_header) {
  const std::string name = absl::AsciiStrToLower(HostName(host_header));
  if (name == "localhost" || name == "::1") return true;
  in_addr v4{};
  return inet_pton(AF_INET, name.c_str(), &v4) == 1 &&
         (ntohl(v4.s_addr) >> 24) == 127;
}

absl::StatusOr<AdminGuard> AdminGuard::FromTokenFile(const std::string& path) {
  absl::StatusOr<std::string> content = ReadWholeFile(path);
  if (!content.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http.admin_token_file: cannot read '", path, "'"));
  }
  std::string token(absl::StripAsciiWhitespace(*content));
  if (token.size() < kMinTokenBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--http.admin_token_file: '", path, "' holds a token of ", token.size(),
        " bytes; at least ", kMinTokenBytes, " are required"));
  }
  return WithToken(std::move(token));
}

AdminGuard AdminGuard::WithToken(std::string token) {
  ABSL_ASSERT(!token.empty());
  return AdminGuard(std::move(token));
}

std::optional<HttpResponse> AdminGuard::Refuse(const HttpRequest& r) const {
  if (CrossSite(r)) return JsonError(403, "cross-site request refused");
  if (token_.empty()) {
    if (r.peer_loopback && (r.host.empty() || IsLoopbackHost(r.host))) {
      return std::nullopt;
    }
    return JsonError(403,
                     "admin endpoints answer loopback clients only; set "
                     "--http.admin_token_file to allow others");
  }
  absl::string_view auth = r.authorization;
  if (auth.size() > 7 && absl::EqualsIgnoreCase(auth.substr(0, 7), "bearer ") &&
      ConstantTimeEquals(
          std::string(absl::StripLeadingAsciiWhitespace(auth.substr(7))),
          token_)) {
    return std::nullopt;
  }
  HttpResponse out = JsonError(401, "missing or wrong bearer token");
  out.headers.emplace_back("WWW-Authenticate", "Bearer");
  return out;
}

}  // namespace outcomes
