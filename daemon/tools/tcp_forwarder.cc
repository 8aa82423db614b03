#include "daemon/tools/tcp_forwarder.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace outcomes::tools {
namespace {

constexpr int kPollMs = 200;

absl::StatusOr<sockaddr_in> ParseTarget(const std::string& target) {
  const size_t colon = target.rfind(':');
  int port = 0;
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  std::string host = target.substr(0, colon == std::string::npos ? 0 : colon);
  if (host == "localhost") host = "127.0.0.1";
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(target.substr(colon + 1), &port) ||
      inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot parse address ", target));
  }
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

absl::StatusOr<int> Listen(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(std::strerror(errno));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd, 64) != 0) {
    const std::string err = std::strerror(errno);
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("listen on 127.0.0.1:", port, ": ", err));
  }
  return fd;
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TcpForwarder>> TcpForwarder::Start(
    int port, const std::string& target) {
  absl::StatusOr<sockaddr_in> addr = ParseTarget(target);
  if (!addr.ok()) return addr.status();
  absl::StatusOr<int> fd = Listen(port);
  if (!fd.ok()) return fd.status();
  std::unique_ptr<TcpForwarder> forwarder(new TcpForwarder());
  forwarder->target_ = *addr;
  forwarder->listen_fd_ = *fd;
  forwarder->acceptor_ =
      std::thread([f = forwarder.get()] { f->AcceptLoop(); });
  return forwarder;
}

TcpForwarder::~TcpForwarder() {
  stop_.store(true);
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> relays;
  {
    absl::MutexLock lock(&mu_);
    relays.swap(relays_);
  }
  for (std::thread& t : relays) t.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

void TcpForwarder::AcceptLoop() {
  while (!stop_.load()) {
    pollfd p = {listen_fd_, POLLIN, 0};
    if (poll(&p, 1, kPollMs) <= 0) continue;
    const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    absl::MutexLock lock(&mu_);
    relays_.emplace_back([this, client] { Relay(client); });
  }
}

void TcpForwarder::Relay(int client_fd) {
  const int upstream = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (upstream < 0 ||
      connect(upstream, reinterpret_cast<const sockaddr*>(&target_),
              sizeof(target_)) != 0) {
    std::fprintf(stderr, "outcomes-broker: forwarder connect: %s\n",
                 std::strerror(errno));
    if (upstream >= 0) close(upstream);
    close(client_fd);
    return;
  }
  const int one = 1;
  setsockopt(client_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  bool open = true;
  while (open && !stop_.load()) {
    pollfd fds[2] = {{client_fd, POLLIN, 0}, {upstream, POLLIN, 0}};
    if (poll(fds, 2, kPollMs) <= 0) continue;
    if (fds[0].revents != 0) open = Pump(client_fd, upstream);
    if (open && fds[1].revents != 0) open = Pump(upstream, client_fd);
  }
  close(upstream);
  close(client_fd);
}

bool TcpForwarder::Pump(int from, int to) {
  char buffer[65536];
  ssize_t n;
  do {
    n = recv(from, buffer, sizeof(buffer), 0);
  } while (n < 0 && errno == EINTR);
  return n > 0 && WriteAll(to, buffer, static_cast<size_t>(n));
}

}  // namespace outcomes::tools
