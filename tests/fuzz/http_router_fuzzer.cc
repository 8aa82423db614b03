// libFuzzer target: one HTTP request, as the server hands it to the router
// (method, decoded path, the headers the router reads, whether the peer is
// loopback), through HttpRouter::Handle with the daemon's route table and
// both admin guards. Seeds: corpus/http_router/ (FuzzedDataProvider
// layouts of real requests).
//
// Invariants (docs/design.md, "Safe to expose"): the status is one the router
// can give (no 500: the stub handlers never throw); POST /-/reload succeeds
// only with the exact bearer token (token mode) or from a loopback peer naming
// a loopback host (loopback mode), and never cross-site; a GET never reaches
// the reload handler; 404 exactly when no route's path matches; 405 always
// carries Allow.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "daemon/http/admin_guard.h"
#include "daemon/http/http_router.h"
#include "tests/fuzz/fuzz_support.h"

namespace outcomes {
namespace {

constexpr char kToken[] = "fuzz-admin-token-0123456789";
int reloads = 0;

void AddRoutes(HttpRouter& r) {
  auto ok = [](const HttpRequest&) {
    return HttpResponse{200, "text/plain", "ok"};
  };
  r.Route("GET", "/metrics", ok);
  r.Route("GET", "/healthz", ok, RouteOptions{.inline_handler = true});
  r.Route("GET", "/readyz", ok, RouteOptions{.inline_handler = true});
  r.Route("GET", "/api/v1/providers", ok);
  r.Route("GET", "/api/v1/providers/", ok);
  r.Route("GET", "/api/v1/alerts", ok);
  r.Route("GET", "/api/v1/rules", ok);
  r.Route(
      "POST", "/-/reload",
      [](const HttpRequest&) {
        ++reloads;
        return HttpResponse{200, "application/json", "{}"};
      },
      RouteOptions{.admin = true});
}

bool KnownPath(const std::string& p) {
  for (const char* exact :
       {"/metrics", "/healthz", "/readyz", "/api/v1/providers",
        "/api/v1/alerts", "/api/v1/rules", "/-/reload"}) {
    if (p == exact) return true;
  }
  return absl::StartsWith(p, "/api/v1/providers/");
}

bool CrossSite(const HttpRequest& r) {
  if (!r.sec_fetch_site.empty() && r.sec_fetch_site != "same-origin" &&
      r.sec_fetch_site != "none") {
    return true;
  }
  return !r.origin.empty() &&
         !absl::EqualsIgnoreCase(r.origin, "http://" + r.host) &&
         !absl::EqualsIgnoreCase(r.origin, "https://" + r.host);
}

bool HasToken(const std::string& authorization) {
  if (authorization.size() <= 7 ||
      !absl::EqualsIgnoreCase(authorization.substr(0, 7), "bearer ")) {
    return false;
  }
  return absl::StripLeadingAsciiWhitespace(authorization.substr(7)) == kToken;
}

void Check(const HttpRouter& router, const HttpRequest& req, bool token_mode) {
  const int before = reloads;
  const HttpResponse out = router.Handle(req);
  const bool reloaded = reloads != before;
  FUZZ_CHECK(out.status == 200 || out.status == 401 || out.status == 403 ||
             out.status == 404 || out.status == 405);
  FUZZ_CHECK((out.status == 404) == !KnownPath(req.path));
  if (out.status == 405) {
    FUZZ_CHECK(!out.headers.empty() && out.headers[0].first == "Allow");
  }
  FUZZ_CHECK(reloaded == (out.status == 200 && req.path == "/-/reload"));
  if (!reloaded) return;
  FUZZ_CHECK(req.method == "POST" && !CrossSite(req));
  if (token_mode) {
    FUZZ_CHECK(HasToken(req.authorization));
  } else {
    FUZZ_CHECK(req.peer_loopback &&
               (req.host.empty() || IsLoopbackHost(req.host)));
  }
}

}  // namespace
}  // namespace outcomes

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace outcomes;
  static const HttpRouter* loopback = [] {
    auto* r = new HttpRouter;
    AddRoutes(*r);
    return r;
  }();
  static const HttpRouter* token = [] {
    auto* r = new HttpRouter;
    AddRoutes(*r);
    r->SetAdminGuard(AdminGuard::WithToken(kToken));
    return r;
  }();
  FuzzedDataProvider in(data, size);
  HttpRequest req;
  req.peer_loopback = in.ConsumeBool();
  req.method = in.ConsumeRandomLengthString(16);
  req.path = in.ConsumeRandomLengthString(256);
  req.host = in.ConsumeRandomLengthString(128);
  req.authorization = in.ConsumeRandomLengthString(128);
  req.origin = in.ConsumeRandomLengthString(128);
  req.sec_fetch_site = in.ConsumeRemainingBytesAsString();
  Check(*loopback, req, false);
  Check(*token, req, true);
  return 0;
}
