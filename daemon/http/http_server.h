// A small HTTP server for /metrics, health, and the JSON API. Hides
// cpp-httplib from the rest of the code.
//
// Thread safety: Route() must be called before Start(). Handlers run on the
// server's worker threads and must be thread-safe.
#ifndef OUTCOMESD_DAEMON_HTTP_HTTP_SERVER_H_
#define OUTCOMESD_DAEMON_HTTP_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "prometheus/registry.h"

namespace outcomes {

// Requests carry no body: no route takes one (and bodies are not read).
struct HttpRequest {
  std::string method;
  std::string path;  // without the query string
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  HttpServer();
  ~HttpServer();  // Stops the server.

  // Routes `method` requests whose path equals `path`, or starts with it when
  // `path` ends in '/'. Longest match wins.
  void Route(const std::string& method, const std::string& path,
             Handler handler);

  // Binds `listen` ("HOST:PORT"; port 0 picks a free one) and serves in a
  // background thread.
  absl::Status Start(const std::string& listen);
  int port() const { return port_; }
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  int port_ = 0;
};

// The registry in Prometheus text format 0.0.4.
std::string RenderMetrics(prometheus::Registry& registry);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_HTTP_HTTP_SERVER_H_
