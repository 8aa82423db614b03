// The HTTP client used by notifiers (and a GET for outcomesctl brief), behind
// an interface so unit tests use a fake. The cpp-httplib implementation
// (httplib_poster.cc) is the only code that sees httplib; the options and URL
// parsing here are plain C++.
//
// Thread safety: implementations must allow Post from one thread at a time
// (the notifier's) and Cancel from any thread, also while Post runs;
// NewHttplibPoster's Post is safe from any thread.
#ifndef OUTCOMESD_DAEMON_ALERTS_HTTP_POSTER_H_
#define OUTCOMESD_DAEMON_ALERTS_HTTP_POSTER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace outcomes {

class HttpPoster {
 public:
  virtual ~HttpPoster() = default;
  // POSTs `body` (application/json) to base_url + path, e.g.
  // "http://127.0.0.1:9093" + "/api/v2/alerts". OK only for a 2xx answer;
  // Unavailable for connection and TLS errors and other statuses. Error
  // messages never hold credentials (the URL's userinfo is left out).
  virtual absl::Status Post(const std::string& base_url,
                            const std::string& path,
                            const std::string& body) = 0;
  // Makes every Post in flight return promptly and every later Post fail
  // at once, both with Cancelled; irreversible. For the notifier's stop
  // (docs/design.md, "Shutdown"): a POST waiting for a silent Alertmanager
  // would otherwise hold the exit up to its timeout. Called again while a
  // Post runs, it cancels a Post that had not reached the network at the
  // previous call.
  virtual void Cancel() = 0;
};

// How the poster reaches every URL: TLS, credentials, extra headers
// (Prometheus's alertmanager_config vocabulary; --alertmanager.* flags).
// Validated by the caller (daemon/alertmanager_client.h); secrets are held
// here in memory only and never logged.
struct HttpClientOptions {
  absl::Duration timeout = absl::Seconds(10);  // connect, each read/write
  // https:// URLs: PEM CA bundle verifying the server ("": the system's).
  std::string tls_ca_file;
  // Client certificate and its key (PEM), both or neither.
  std::string tls_cert_file;
  std::string tls_key_file;
  bool tls_insecure_skip_verify = false;  // no server certificate check
  // Basic auth for every URL without userinfo ("" username: none).
  std::string basic_auth_username;
  std::string basic_auth_password;  // secret
  std::string bearer_token;         // secret; "" for none
  // Sent with every request, in order; names are unique.
  std::vector<std::pair<std::string, std::string>> headers;
};

// A base URL split for the client: "https://u:p%40x@am:9093/prefix/" ->
// origin "https://am:9093", path_prefix "/prefix", username "u",
// password "p@x" (percent-decoded), has_userinfo.
struct BaseUrl {
  std::string origin;       // scheme://host[:port], no userinfo
  std::string path_prefix;  // "" or "/..." without a trailing '/'
  bool has_userinfo = false;
  std::string username;
  std::string password;  // secret
};

// InvalidArgument (naming the URL without its userinfo) unless `url` is
// http:// or https:// with a host.
absl::StatusOr<BaseUrl> ParseBaseUrl(const std::string& url);

// cpp-httplib client applying `options`; a URL's userinfo is sent as basic
// auth in place of options' credentials. REQUIRES: options validated.
std::unique_ptr<HttpPoster> NewHttplibPoster(HttpClientOptions options);

// The answer to a GET, whatever its status.
struct HttpGetResult {
  int status = 0;
  std::string body;
};
// GETs base_url + path (path may carry a query string; its parts must be
// percent-encoded already) with cpp-httplib. Errors (Unavailable,
// InvalidArgument) only when no answer came; `timeout` as above.
// Thread-safe.
absl::StatusOr<HttpGetResult> HttplibGet(const std::string& base_url,
                                         const std::string& path,
                                         absl::Duration timeout);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_ALERTS_HTTP_POSTER_H_
