// The router and the admin guard: status codes, Allow, longest prefix,
// exceptions, and who may reach an admin route (docs/design.md, "Safe to
// expose").
#include "daemon/http/http_router.h"

#include <stdexcept>

#include "daemon/http/admin_guard.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

HttpResponse Text(std::string body) {
  return HttpResponse{200, "text/plain", std::move(body)};
}

HttpRequest Req(std::string method, std::string path) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.peer_loopback = true;
  r.host = "127.0.0.1:9464";
  return r;
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router_.Route("GET", "/api/v1/providers",
                  [](const HttpRequest&) { return Text("list"); });
    router_.Route("GET", "/api/v1/providers/",
                  [](const HttpRequest& r) { return Text("one:" + r.path); });
    router_.Route("GET", "/boom", [](const HttpRequest&) -> HttpResponse {
      throw std::runtime_error("boom");
    });
    router_.Route(
        "POST", "/-/reload",
        [](const HttpRequest&) { return Text("reloaded"); },
        RouteOptions{.admin = true});
    router_.Route(
        "GET", "/healthz", [](const HttpRequest&) { return Text("ok"); },
        RouteOptions{.inline_handler = true});
  }
  HttpRouter router_;
};

TEST_F(RouterTest, ExactAndLongestPrefixMatch) {
  EXPECT_EQ(router_.Handle(Req("GET", "/api/v1/providers")).body, "list");
  EXPECT_EQ(router_.Handle(Req("GET", "/api/v1/providers/p1")).body,
            "one:/api/v1/providers/p1");
}

TEST_F(RouterTest, UnknownPathIs404) {
  const HttpResponse r = router_.Handle(Req("GET", "/nope"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"error":"not found"})");
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  // No state change through a GET.
  const HttpResponse r = router_.Handle(Req("GET", "/-/reload"));
  EXPECT_EQ(r.status, 405);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Allow");
  EXPECT_EQ(r.headers[0].second, "POST");
  EXPECT_EQ(router_.Handle(Req("DELETE", "/api/v1/providers")).status, 405);
}

TEST_F(RouterTest, ThrowingHandlerIs500) {
  const HttpResponse r = router_.Handle(Req("GET", "/boom"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, R"({"error":"internal error"})");
}

TEST_F(RouterTest, OptionsFollowTheRoute) {
  EXPECT_TRUE(router_.OptionsFor(Req("GET", "/healthz")).inline_handler);
  EXPECT_FALSE(
      router_.OptionsFor(Req("GET", "/api/v1/providers")).inline_handler);
  EXPECT_TRUE(router_.OptionsFor(Req("POST", "/-/reload")).admin);
  EXPECT_FALSE(router_.OptionsFor(Req("GET", "/-/reload")).admin);
}

TEST_F(RouterTest, LoopbackOnlyByDefault) {
  EXPECT_EQ(router_.Handle(Req("POST", "/-/reload")).status, 200);
  HttpRequest remote = Req("POST", "/-/reload");
  remote.peer_loopback = false;
  remote.host = "10.0.0.5:9464";
  EXPECT_EQ(router_.Handle(remote).status, 403);
}

TEST_F(RouterTest, LoopbackModeRefusesRebindingHostNames) {
  // A DNS-rebound name resolves to 127.0.0.1 but keeps its Host header.
  HttpRequest r = Req("POST", "/-/reload");
  r.host = "attacker.example:9464";
  EXPECT_EQ(router_.Handle(r).status, 403);
  for (const char* host : {"localhost:9464", "127.0.0.2", "[::1]:9464", ""}) {
    r.host = host;
    EXPECT_EQ(router_.Handle(r).status, 200) << host;
  }
}

TEST_F(RouterTest, CrossSiteRequestsAreRefused) {
  HttpRequest r = Req("POST", "/-/reload");
  r.origin = "https://evil.example";
  EXPECT_EQ(router_.Handle(r).status, 403);
  r.origin = "http://127.0.0.1:9464";  // same origin
  EXPECT_EQ(router_.Handle(r).status, 200);
  r.origin = "";
  r.sec_fetch_site = "cross-site";
  EXPECT_EQ(router_.Handle(r).status, 403);
  r.sec_fetch_site = "same-site";
  EXPECT_EQ(router_.Handle(r).status, 403);
  r.sec_fetch_site = "none";  // typed in the address bar, or curl
  EXPECT_EQ(router_.Handle(r).status, 200);
}

TEST_F(RouterTest, TokenModeRequiresTheBearerToken) {
  router_.SetAdminGuard(AdminGuard::WithToken("s3cret-token-0123456789"));
  HttpRequest r = Req("POST", "/-/reload");
  HttpResponse out = router_.Handle(r);
  EXPECT_EQ(out.status, 401);
  ASSERT_EQ(out.headers.size(), 1u);
  EXPECT_EQ(out.headers[0].first, "WWW-Authenticate");
  r.authorization = "Bearer wrong";
  EXPECT_EQ(router_.Handle(r).status, 401);
  r.authorization = "Basic s3cret-token-0123456789";
  EXPECT_EQ(router_.Handle(r).status, 401);
  r.authorization = "Bearer s3cret-token-0123456789";
  EXPECT_EQ(router_.Handle(r).status, 200);
  r.authorization = "bearer s3cret-token-0123456789";
  EXPECT_EQ(router_.Handle(r).status, 200);
  // With the token, remote clients are welcome.
  r.peer_loopback = false;
  r.host = "outcomesd.agency.svc:9464";
  EXPECT_EQ(router_.Handle(r).status, 200);
  // A browser cannot add the header cross-site, but refuse anyway.
  r.origin = "https://evil.example";
  EXPECT_EQ(router_.Handle(r).status, 403);
  // Non-admin routes need nothing.
  EXPECT_EQ(router_.Handle(Req("GET", "/api/v1/providers")).status, 200);
}

TEST(AdminGuardTest, TokenFileErrorsArePrecise) {
  auto missing = AdminGuard::FromTokenFile("/nonexistent/token");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "--http.admin_token_file: cannot read '/nonexistent/token'");
  const std::string path = ::testing::TempDir() + "/short-token";
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("  short\n", f);
  fclose(f);
  auto too_short = AdminGuard::FromTokenFile(path);
  ASSERT_FALSE(too_short.ok());
  EXPECT_EQ(too_short.status().message(),
            "--http.admin_token_file: '" + path +
                "' holds a token of 5 bytes; at least 16 are required");
  f = fopen(path.c_str(), "w");
  fputs("0123456789abcdef-long-enough\n", f);
  fclose(f);
  auto good = AdminGuard::FromTokenFile(path);
  ASSERT_TRUE(good.ok());
  EXPECT_TRUE(good->has_token());
}

TEST(AdminGuardTest, LoopbackHostNames) {
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_TRUE(IsLoopbackHost("LOCALHOST:80"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.3:9464"));
  EXPECT_TRUE(IsLoopbackHost("[::1]:9464"));
  EXPECT_FALSE(IsLoopbackHost("128.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("localhost.evil.example"));
  EXPECT_FALSE(IsLoopbackHost("[::1"));
  EXPECT_FALSE(IsLoopbackHost("127.0.0.1.evil.example:80"));
}

}  // namespace
}  // namespace outcomes
