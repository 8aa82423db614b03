// libFuzzer target: raw bytes on a TCP connection to a live HttpServer
// (libmicrohttpd and our callbacks: request setup, header reading, body
// limits, suspension to a worker, answering), in process on 127.0.0.1.
// Each input is written, the write side shut, and the answer read to EOF.
// Seeds: corpus/http_server/ (real requests, pipelined, chunked, oversized
// and broken ones).
//
// Invariants: the server never crashes or leaks (ASan/LSan); every answer
// is empty (the server closed a broken request) or starts with "HTTP/1.";
// the server still answers a well-formed /healthz after every input.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "daemon/http/http_server.h"
#include "tests/fuzz/fuzz_support.h"

namespace outcomes {
namespace {

HttpServer* StartServer() {
  HttpServerSettings settings;
  // libmicrohttpd (epoll, edge-triggered) does not notice a client's
  // half-close that arrives with an unfinished request; the reaper's
  // deadline ends such exchanges. Short here, so those inputs cost 50 ms.
  settings.request_timeout = absl::Milliseconds(50);
  auto* server = new HttpServer(settings);
  auto ok = [](const HttpRequest& r) {
    return HttpResponse{200, "text/plain", r.method + " " + r.path};
  };
  server->Route("GET", "/healthz", ok, RouteOptions{.inline_handler = true});
  server->Route("GET", "/api/v1/providers/", ok);
  server->Route("GET", "/metrics", ok);
  server->Route("POST", "/-/reload", ok, RouteOptions{.admin = true});
  if (!server->Start("127.0.0.1:0").ok()) __builtin_trap();
  return server;
}

// Sends `request`, shuts the write side, returns everything read until EOF
// (or 5 s of silence).
std::string Exchange(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  FUZZ_CHECK(fd >= 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  FUZZ_CHECK(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) ==
             0);
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  shutdown(fd, SHUT_WR);
  std::string out;
  char buf[4096];
  for (int i = 0; i < 1000; ++i) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

}  // namespace
}  // namespace outcomes

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace outcomes;
  static HttpServer* server = StartServer();
  if (size > 64 * 1024) return 0;
  const std::string answer = Exchange(
      server->port(), std::string(reinterpret_cast<const char*>(data), size));
  FUZZ_CHECK(answer.empty() || absl::StartsWith(answer, "HTTP/1."));
  const std::string probe =
      Exchange(server->port(),
               "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  FUZZ_CHECK(absl::StartsWith(probe, "HTTP/1.1 200"));
  return 0;
}
