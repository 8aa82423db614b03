#include "daemon/http/listen_socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace outcomes {
namespace {

std::string Describe(const ListenAddress& a) {
  return a.host.find(':') == std::string::npos
             ? absl::StrCat(a.host, ":", a.port)
             : absl::StrCat("[", a.host, "]:", a.port);
}

absl::Status SystemError(const ListenAddress& a, const char* what) {
  return absl::UnavailableError(absl::StrCat("cannot listen on ", Describe(a),
                                             ": ", what, ": ",
                                             std::strerror(errno)));
}

}  // namespace

absl::StatusOr<ListenAddress> ParseListenAddress(const std::string& text) {
  const size_t colon = text.rfind(':');
  ListenAddress a;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(text.substr(colon + 1), &a.port) || a.port < 0 ||
      a.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen must be HOST:PORT, got '", text, "'"));
  }
  a.host = text.substr(0, colon);
  if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']') {
    a.host = a.host.substr(1, a.host.size() - 2);
  }
  if (a.host.empty()) a.host = "0.0.0.0";
  return a;
}

absl::StatusOr<int> OpenListenSocket(const ListenAddress& a, int backlog) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(a.port);
  if (int rc = getaddrinfo(a.host.c_str(), port.c_str(), &hints, &found);
      rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot listen on ", Describe(a), ": ", gai_strerror(rc)));
  }
  const int fd = socket(found->ai_family,
                        found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(found);
    return SystemError(a, "socket");
  }
  // SO_REUSEADDR only rebinds over TIME_WAIT; on Linux it never lets two
  // listeners share a port (SO_REUSEPORT would, and is not set).
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const bool bound = bind(fd, found->ai_addr, found->ai_addrlen) == 0;
  freeaddrinfo(found);
  if (!bound || listen(fd, backlog) != 0) {
    absl::Status s = SystemError(a, bound ? "listen" : "bind");
    close(fd);
    return s;
  }
  return fd;
}

int BoundPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return -1;
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

}  // namespace outcomes
