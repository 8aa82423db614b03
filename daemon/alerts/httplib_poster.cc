// cpp-httplib implementation of HttpPoster, and HttplibGet.
#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "daemon/alerts/http_poster.h"

namespace outcomes {
namespace {

// "http://host:port/prefix" -> {"http://host:port", "/prefix"}.
std::pair<std::string, std::string> SplitUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash =
      url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos) return {url, ""};
  std::string prefix = url.substr(slash);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return {url.substr(0, slash), prefix};
}

class HttplibPoster : public HttpPoster {
 public:
  explicit HttplibPoster(absl::Duration timeout) : timeout_(timeout) {}

  absl::Status Post(const std::string& base_url, const std::string& path,
                    const std::string& body) override {
    const auto [host, prefix] = SplitUrl(base_url);
    try {
      httplib::Client client(host);
      if (!client.is_valid()) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid URL ", base_url));
      }
      const auto micros = absl::ToInt64Microseconds(timeout_);
      client.set_connection_timeout(micros / 1000000, micros % 1000000);
      client.set_read_timeout(micros / 1000000, micros % 1000000);
      client.set_write_timeout(micros / 1000000, micros % 1000000);
      auto res = client.Post(prefix + path, body, "application/json");
      if (!res) {
        return absl::UnavailableError(absl::StrCat(
            "POST ", base_url, path, ": ", httplib::to_string(res.error())));
      }
      if (res->status < 200 || res->status > 299) {
        return absl::UnavailableError(
            absl::StrCat("POST ", base_url, path, ": HTTP ", res->status));
      }
      return absl::OkStatus();
    } catch (const std::exception& e) {
      return absl::UnavailableError(
          absl::StrCat("POST ", base_url, path, ": ", e.what()));
    }
  }

 private:
  const absl::Duration timeout_;
};

void SetTimeouts(httplib::Client& client, absl::Duration timeout) {
  const auto micros = absl::ToInt64Microseconds(timeout);
  client.set_connection_timeout(micros / 1000000, micros % 1000000);
  client.set_read_timeout(micros / 1000000, micros % 1000000);
  client.set_write_timeout(micros / 1000000, micros % 1000000);
}

}  // namespace

absl::StatusOr<HttpGetResult> HttplibGet(const std::string& base_url,
                                         const std::string& path,
                                         absl::Duration timeout) {
  const auto [host, prefix] = SplitUrl(base_url);
  try {
    httplib::Client client(host);
    if (!client.is_valid()) {
      return absl::InvalidArgumentError(absl::StrCat("invalid URL ", base_url));
    }
    SetTimeouts(client, timeout);
    auto res = client.Get(prefix + path);
    if (!res) {
      return absl::UnavailableError(absl::StrCat(
          "GET ", base_url, path, ": ", httplib::to_string(res.error())));
    }
    return HttpGetResult{res->status, res->body};
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("GET ", base_url, path, ": ", e.what()));
  }
}

std::unique_ptr<HttpPoster> NewHttplibPoster(absl::Duration timeout) {
  return std::make_unique<HttplibPoster>(timeout);
}

}  // namespace outcomes
