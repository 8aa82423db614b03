// The HTTP server on real sockets (127.0.0.1, free ports): binding, probes
// answered while workers are busy, per-request deadline, size limits.
#include "daemon/http/http_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

// A connected socket to 127.0.0.1:port with a 5 s receive timeout.
int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  return fd;
}

// Everything the server sends until it closes (or 5 s of silence).
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (int i = 0; i < 10000; ++i) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string Fetch(int port, const std::string& request) {
  const int fd = Connect(port);
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string out = ReadAll(fd);
  close(fd);
  return out;
}

std::string Get(int port, const std::string& path) {
  return Fetch(port, absl::StrCat("GET ", path,
                                  " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  "Connection: close\r\n\r\n"));
}

HttpResponse Ok(std::string body) {
  return HttpResponse{200, "text/plain", std::move(body)};
}

TEST(HttpServerTest, PortInUseIsAnError) {
  HttpServer first;
  ASSERT_TRUE(first.Start("127.0.0.1:0").ok());
  HttpServer second;
  const absl::Status s = second.Bind(absl::StrCat("127.0.0.1:", first.port()));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(),
            absl::StrCat("cannot listen on 127.0.0.1:", first.port(),
                         ": bind: Address already in use"));
}

TEST(HttpServerTest, BadListenAddress) {
  HttpServer server;
  EXPECT_EQ(server.Bind("nonsense").message(),
            "--listen must be HOST:PORT, got 'nonsense'");
}

TEST(HttpServerTest, ProbesAnsweredWhileEveryWorkerIsBusy) {
  HttpServerSettings settings;
  settings.worker_threads = 1;
  HttpServer server(settings);
  absl::Notification started, release;
  server.Route("GET", "/slow", [&](const HttpRequest&) {
    started.Notify();
    release.WaitForNotification();
    return Ok("slow");
  });
  server.Route(
      "GET", "/healthz", [](const HttpRequest&) { return Ok("ok"); },
      RouteOptions{.inline_handler = true});
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  std::string slow;
  std::thread client([&] { slow = Get(server.port(), "/slow"); });
  started.WaitForNotification();
  // 50 idle connections as well: they cost nothing but a socket.
  std::vector<int> idle;
  for (int i = 0; i < 50; ++i) idle.push_back(Connect(server.port()));
  const std::string probe = Get(server.port(), "/healthz");
  EXPECT_TRUE(absl::StartsWith(probe, "HTTP/1.1 200")) << probe;
  EXPECT_TRUE(absl::EndsWith(probe, "\r\n\r\nok")) << probe;
  release.Notify();
  client.join();
  EXPECT_TRUE(absl::EndsWith(slow, "\r\n\r\nslow")) << slow;
  for (int fd : idle) close(fd);
}

TEST(HttpServerTest, SlowClientIsCutAtTheDeadline) {
  prometheus::Registry registry;
  HttpServerSettings settings;
  settings.request_timeout = absl::Seconds(1);
  HttpServer server(settings, &registry);
  server.Route("GET", "/x", [](const HttpRequest&) { return Ok("x"); });
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  const int fd = Connect(server.port());
  // Half a request line, then a byte every 200 ms: never idle for long,
  // never finished. The deadline closes it (recv sees EOF, not a timeout).
  std::string got;
  send(fd, "GET /x HTTP/1.1\r\nX-Slow: ", 25, MSG_NOSIGNAL);
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {
    if (send(fd, "a", 1, MSG_NOSIGNAL) != 1) closed = true;
    timeval tv{0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[256];
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n == 0) closed = true;
    if (n > 0) got.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  EXPECT_TRUE(closed) << got;
  const std::string metrics = RenderMetrics(registry);
  EXPECT_TRUE(absl::StrContains(metrics, "outcomes_http_timeouts_total 1"))
      << metrics;
}

TEST(HttpServerTest, OversizedHeadersAndBodiesAreRefused) {
  HttpServer server;
  server.Route("POST", "/x", [](const HttpRequest&) { return Ok("x"); });
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  const std::string big_header =
      Fetch(server.port(), "POST /x HTTP/1.1\r\nHost: h\r\nX-Big: " +
                               std::string(64 * 1024, 'a') + "\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(big_header, "HTTP/1.1 431")) << big_header;
  const std::string big_body =
      Fetch(server.port(),
            "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n" +
                std::string(1000, 'b'));
  EXPECT_TRUE(absl::StartsWith(big_body, "HTTP/1.1 413")) << big_body;
  const std::string small_body =
      Fetch(server.port(),
            "POST /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n"
            "Content-Length: 5\r\n\r\nhello");
  EXPECT_TRUE(absl::EndsWith(small_body, "\r\n\r\nx")) << small_body;
}

TEST(HttpServerTest, ConnectionsOverTheCapWaitForAFreeSlot) {
  HttpServerSettings settings;
  settings.max_connections = 5;
  HttpServer server(settings);
  server.Route(
      "GET", "/healthz", [](const HttpRequest&) { return Ok("ok"); },
      RouteOptions{.inline_handler = true});
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  std::vector<int> idle;
  for (int i = 0; i < 5; ++i) idle.push_back(Connect(server.port()));
  // The sixth waits in the kernel's listen backlog: not served...
  const int sixth = Connect(server.port());
  const std::string request =
      "GET /healthz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  send(sixth, request.data(), request.size(), MSG_NOSIGNAL);
  timeval short_wait{0, 300000};
  setsockopt(sixth, SOL_SOCKET, SO_RCVTIMEO, &short_wait, sizeof(short_wait));
  char c;
  EXPECT_EQ(recv(sixth, &c, 1, 0), -1);
  EXPECT_EQ(errno, EAGAIN);
  // ...until a slot frees; then it is answered.
  for (int fd : idle) close(fd);
  timeval long_wait{5, 0};
  setsockopt(sixth, SOL_SOCKET, SO_RCVTIMEO, &long_wait, sizeof(long_wait));
  const std::string answer = ReadAll(sixth);
  close(sixth);
  EXPECT_TRUE(absl::EndsWith(answer, "\r\n\r\nok")) << answer;
}

TEST(HttpServerTest, StopAnswersQueuedRequests) {
  HttpServer server;
  server.Route("GET", "/x", [](const HttpRequest&) { return Ok("x"); });
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  EXPECT_TRUE(absl::EndsWith(Get(server.port(), "/x"), "x"));
  server.Stop();
  server.Stop();  // idempotent
}

}  // namespace
}  // namespace outcomes
