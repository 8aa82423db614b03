// The server's listening socket, bound by us rather than by the HTTP
// library so that a port already in use is an error (no SO_REUSEPORT: a
// second daemon must not silently share the port) with a precise message.
#ifndef OUTCOMESD_DAEMON_HTTP_LISTEN_SOCKET_H_
#define OUTCOMESD_DAEMON_HTTP_LISTEN_SOCKET_H_

#include <string>

#include "absl/status/statusor.h"

namespace outcomes {

struct ListenAddress {
  std::string host;  // name or address; "[::1]" is given as "::1"
  int port = 0;      // 0: any free port
};

// Parses "HOST:PORT" or "[V6]:PORT".
absl::StatusOr<ListenAddress> ParseListenAddress(const std::string& text);

// A bound, listening, non-blocking, close-on-exec TCP socket. Errors name
// the address and the system's reason (e.g. "Address already in use").
// The caller owns the returned descriptor.
absl::StatusOr<int> OpenListenSocket(const ListenAddress& address, int backlog);

// The port `fd` is bound to.
int BoundPort(int fd);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_HTTP_LISTEN_SOCKET_H_
