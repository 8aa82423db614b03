// Requests and responses as our handlers see them, and the router that maps
// a request to its handler: 404 for an unknown path, 405 (with Allow) for a
// known path asked with another method, the admin guard before admin routes,
// 500 when a handler throws. Knows nothing of sockets, so it is unit-tested
// and fuzzed directly.
//
// Thread safety: Route() and SetAdminGuard() must be called before the
// router is shared; Handle() and Find() are then safe from any thread.
// Handlers run on whichever thread calls Handle() and must be thread-safe.
#ifndef OUTCOMESD_DAEMON_HTTP_HTTP_ROUTER_H_
#define OUTCOMESD_DAEMON_HTTP_HTTP_ROUTER_H_

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "daemon/http/admin_guard.h"
#include "daemon/http/http_types.h"

namespace outcomes {

struct RouteOptions {
  // Guarded by the AdminGuard (state-changing routes; always POST).
  bool admin = false;
  // Answered on the server's event thread instead of a worker: only for
  // handlers that are cheap and never block (/healthz, /readyz), so probes
  // are answered even while every worker renders /metrics.
  bool inline_handler = false;
};

class HttpRouter {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Routes `method` requests whose path equals `path`, or starts with it
  // when `path` ends in '/'. Longest match wins.
  // REQUIRES (assert): `path` starts with '/'; `admin` routes are not GET.
  void Route(const std::string& method, const std::string& path,
             Handler handler, RouteOptions options = {});
  void SetAdminGuard(AdminGuard guard) { guard_ = std::move(guard); }

  // Options of the route `request` would take (defaults when none).
  RouteOptions OptionsFor(const HttpRequest& request) const;
  // The full answer to `request`. Never throws.
  HttpResponse Handle(const HttpRequest& request) const;

 private:
  struct Entry {
    Handler handler;
    RouteOptions options;
  };
  // The longest route matching `path` for each method.
  std::map<std::string, const Entry*> Matches(const std::string& path) const;

  // path -> method -> entry.
  std::map<std::string, std::map<std::string, Entry>> routes_;
  AdminGuard guard_ = AdminGuard::LoopbackOnly();
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_HTTP_HTTP_ROUTER_H_
