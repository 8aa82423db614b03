// The HTTP client used by notifiers (and a GET for outcomesctl brief), behind
// an interface so unit tests use a fake. The cpp-httplib implementation is the
// only code that sees httplib.
//
// Thread safety: implementations must allow Post from one thread at a time
// (the notifier's); NewHttplibPoster's is safe from any thread.
#ifndef OUTCOMESD_DAEMON_ALERTS_HTTP_POSTER_H_
#define OUTCOMESD_DAEMON_ALERTS_HTTP_POSTER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace outcomes {

class HttpPoster {
 public:
  virtual ~HttpPoster() = default;
  // POSTs `body` (application/json) to base_url + path, e.g.
  // "http://127.0.0.1:9093" + "/api/v2/alerts". OK only for a 2xx answer;
  // Unavailable for connection errors and other statuses.
  virtual absl::Status Post(const std::string& base_url,
                            const std::string& path,
                            const std::string& body) = 0;
};

// cpp-httplib client; `timeout` bounds connecting and each read/write.
std::unique_ptr<HttpPoster> NewHttplibPoster(absl::Duration timeout);

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
