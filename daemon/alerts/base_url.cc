// ParseBaseUrl (http_poster.h): no httplib here, so it is unit-tested alone.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "daemon/alerts/http_poster.h"

namespace outcomes {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "p%40x" -> "p@x"; false for a broken escape.
bool PercentDecode(const std::string& in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

}  // namespace

absl::StatusOr<BaseUrl> ParseBaseUrl(const std::string& url) {
  BaseUrl out;
  const size_t scheme_end = url.find("://");
  const std::string scheme =
      scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  const size_t start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const size_t slash = std::min(url.find_first_of("/?#", start), url.size());
  std::string authority = url.substr(start, slash - start);
  const size_t at = authority.rfind('@');
  std::string userinfo;
  if (at != std::string::npos) {
    userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
  }
  // The URL as it may be shown: without its userinfo.
  const std::string shown =
      absl::StrCat(scheme_end == std::string::npos ? "" : scheme + "://",
                   authority, url.substr(slash));
  if ((scheme != "http" && scheme != "https") || authority.empty() ||
      authority[0] == ':' || (slash < url.size() && url[slash] != '/')) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", shown,
                     "' is not an http:// or https:// URL with a host (and "
                     "no query)"));
  }
  out.origin = absl::StrCat(scheme, "://", authority);
  out.path_prefix = url.substr(slash);
  while (!out.path_prefix.empty() && out.path_prefix.back() == '/') {
    out.path_prefix.pop_back();
  }
  if (at == std::string::npos) return out;
  const size_t colon = userinfo.find(':');
  out.has_userinfo = true;
  if (!PercentDecode(userinfo.substr(0, colon), out.username) ||
      (colon != std::string::npos &&
       !PercentDecode(userinfo.substr(colon + 1), out.password))) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", shown, "': broken %-escape in its userinfo"));
  }
  return out;
}

}  // namespace outcomes
