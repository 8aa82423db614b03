// The HTTP server for /metrics, health, the JSON API and admin routes, on
// libmicrohttpd's event loop: one thread multiplexes every connection with
// epoll, so idle or slow clients cost a socket and a small buffer each, not
// a thread. Cheap routes (RouteOptions::inline_handler) are answered on
// that thread; every other handler runs on a small worker pool while its
// connection is suspended, so probes stay fast while /metrics renders.
//
// Limits (HttpServerSettings): concurrent connections, header bytes, body
// bytes, and the time a connection may take to deliver a request and
// receive its answer (idle keep-alive connections count too). The deadline
// also ends connections whose client half-closed them (shutdown(SHUT_WR))
// with the request unfinished or while idle: libmicrohttpd's edge-triggered
// epoll loop does not see that EOF.
//
// Thread safety: Route() and SetAdminGuard() must be called before Start().
// Handlers run on the event or worker threads and must be thread-safe.
#ifndef OUTCOMESD_DAEMON_HTTP_HTTP_SERVER_H_
#define OUTCOMESD_DAEMON_HTTP_HTTP_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "daemon/http/admin_guard.h"
#include "daemon/http/http_router.h"
#include "daemon/http/http_types.h"
#include "prometheus/collectable.h"
#include "prometheus/registry.h"

namespace outcomes {

struct HttpServerSettings {
  // Further connections wait in the kernel's listen backlog (512) until one
  // closes; past the backlog the kernel drops them.
  int max_connections = 1000;
  // From accepting a connection, or answering its last request, to having
  // answered the next one; a connection over it is closed.
  absl::Duration request_timeout = absl::Seconds(10);
  size_t max_header_bytes = 16 * 1024;  // larger: 431
  size_t max_body_bytes = 4 * 1024;     // larger: 413 (bodies are ignored)
  int worker_threads = 2;
  int max_queued = 64;  // handlers waiting for a worker; more: 503
};

class HttpServer {
 public:
  using Handler = HttpRouter::Handler;

  // `registry`, when given, receives the outcomes_http_* metrics and must
  // outlive the server.
  explicit HttpServer(HttpServerSettings settings = {},
                      prometheus::Registry* registry = nullptr);
  ~HttpServer();  // Stops the server.

  void Route(const std::string& method, const std::string& path,
             Handler handler, RouteOptions options = {});
  void SetAdminGuard(AdminGuard guard);

  // Binds `listen` ("HOST:PORT"; port 0 picks a free one) without serving
  // yet, so a daemon finds out first thing that its port is taken. Fails
  // when the port is in use (no SO_REUSEPORT) or the address is invalid.
  // REQUIRES: neither bound nor started.
  absl::Status Bind(const std::string& listen);
  // Serves on the bound socket from a background thread.
  // REQUIRES: Bind() succeeded; not started.
  absl::Status Start();
  // Bind(listen), then Start().
  absl::Status Start(const std::string& listen);
  int port() const { return port_; }
  // Answers what is queued, then closes every connection. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  int listen_fd_ = -1;  // bound, not yet handed to the server
};

// The registry in Prometheus text format 0.0.4.
std::string RenderMetrics(prometheus::Registry& registry);
// Every family of `sources`, in order, in Prometheus text format 0.0.4.
std::string RenderMetrics(
    const std::vector<const prometheus::Collectable*>& sources);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_HTTP_HTTP_SERVER_H_
