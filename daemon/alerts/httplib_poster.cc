// cpp-httplib implementation of HttpPoster, and HttplibGet. Debian's
// libcpp-httplib is built with CPPHTTPLIB_OPENSSL_SUPPORT (its pkg-config
// Cflags define it), so https:// URLs use OpenSSL: TLS verification, client
// certificates.
#include <httplib.h>

#include "absl/base/thread_annotations.h"
#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "daemon/alerts/http_poster.h"

namespace outcomes {
namespace {

void SetTimeouts(httplib::Client& client, absl::Duration timeout) {
  const auto micros = absl::ToInt64Microseconds(timeout);
  client.set_connection_timeout(micros / 1000000, micros % 1000000);
  client.set_read_timeout(micros / 1000000, micros % 1000000);
  client.set_write_timeout(micros / 1000000, micros % 1000000);
}

class HttplibPoster : public HttpPoster {
 public:
  explicit HttplibPoster(HttpClientOptions options)
      : options_(std::move(options)) {}

  absl::Status Post(const std::string& base_url, const std::string& path,
                    const std::string& body) override {
    absl::StatusOr<BaseUrl> url = ParseBaseUrl(base_url);
    if (!url.ok()) return url.status();
    const std::string shown = url->origin + url->path_prefix + path;
    try {
      std::unique_ptr<httplib::Client> client = NewClient(*url);
      if (!client->is_valid()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "POST ", shown, ": invalid URL or TLS client certificate"));
      }
      if (!Register(client.get())) return Cancelled(shown);
      auto res = [&] {
        absl::Cleanup done = [&] { Unregister(client.get()); };
        return client->Post(url->path_prefix + path, body, "application/json");
      }();
      if (cancelled()) return Cancelled(shown);
      if (!res) {
        return absl::UnavailableError(absl::StrCat(
            "POST ", shown, ": ", httplib::to_string(res.error())));
      }
      if (res->status < 200 || res->status > 299) {
        return absl::UnavailableError(
            absl::StrCat("POST ", shown, ": HTTP ", res->status));
      }
      return absl::OkStatus();
    } catch (const std::exception& e) {
      return absl::UnavailableError(
          absl::StrCat("POST ", shown, ": ", e.what()));
    }
  }

  // httplib's Client::stop() shuts the socket of a request in flight down
  // from this thread, so the Post's read fails at once. It waits for a
  // connect in progress (socket_mutex_), so a host that drops the SYN
  // still holds Cancel up to the connect timeout. A Post registered but
  // not yet connected is missed: the notifier calls Cancel again.
  void Cancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    for (httplib::Client* client : in_flight_) client->stop();
  }

 private:
  static absl::Status Cancelled(const std::string& shown) {
    return absl::CancelledError(absl::StrCat("POST ", shown, ": cancelled"));
  }
  // False when cancelled already.
  bool Register(httplib::Client* client) {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return false;
    in_flight_.insert(client);
    return true;
  }
  void Unregister(httplib::Client* client) {
    absl::MutexLock lock(&mu_);
    in_flight_.erase(client);
  }
  bool cancelled() const {
    absl::MutexLock lock(&mu_);
    return cancelled_;
  }

  std::unique_ptr<httplib::Client> NewClient(const BaseUrl& url) const {
    const HttpClientOptions& o = options_;
    auto client = o.tls_cert_file.empty()
                      ? std::make_unique<httplib::Client>(url.origin)
                      : std::make_unique<httplib::Client>(
                            url.origin, o.tls_cert_file, o.tls_key_file);
    SetTimeouts(*client, o.timeout);
    if (!o.tls_ca_file.empty()) client->set_ca_cert_path(o.tls_ca_file);
    client->enable_server_certificate_verification(!o.tls_insecure_skip_verify);
    if (url.has_userinfo) {
      client->set_basic_auth(url.username, url.password);
    } else if (!o.basic_auth_username.empty()) {
      client->set_basic_auth(o.basic_auth_username, o.basic_auth_password);
    } else if (!o.bearer_token.empty()) {
      client->set_bearer_token_auth(o.bearer_token);
    }
    client->set_default_headers(
        httplib::Headers(o.headers.begin(), o.headers.end()));
    return client;
  }

  const HttpClientOptions options_;
  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  // The clients of the Posts running; each is removed before it is freed.
  absl::flat_hash_set<httplib::Client*> in_flight_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<HttpPoster> NewHttplibPoster(HttpClientOptions options) {
  return std::make_unique<HttplibPoster>(std::move(options));
}

absl::StatusOr<HttpGetResult> HttplibGet(const std::string& base_url,
                                         const std::string& path,
                                         absl::Duration timeout) {
  absl::StatusOr<BaseUrl> url = ParseBaseUrl(base_url);
  if (!url.ok()) return url.status();
  const std::string shown = url->origin + url->path_prefix + path;
  try {
    httplib::Client client(url->origin);
    if (!client.is_valid()) {
      return absl::InvalidArgumentError(absl::StrCat("invalid URL ", shown));
    }
    SetTimeouts(client, timeout);
    if (url->has_userinfo) client.set_basic_auth(url->username, url->password);
    auto res = client.Get(url->path_prefix + path);
    if (!res) {
      return absl::UnavailableError(
          absl::StrCat("GET ", shown, ": ", httplib::to_string(res.error())));
    }
    return HttpGetResult{res->status, res->body};
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("GET ", shown, ": ", e.what()));
  }
}

}  // namespace outcomes
