// A tiny TCP forwarder: listens on 127.0.0.1:PORT and relays every accepted
// connection, byte for byte, to a fixed target address. outcomes-broker uses
// it to offer a chosen port, because librdkafka's mock cluster always binds
// an ephemeral one.
#ifndef OUTCOMESD_DAEMON_TOOLS_TCP_FORWARDER_H_
#define OUTCOMESD_DAEMON_TOOLS_TCP_FORWARDER_H_

#include <netinet/in.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace outcomes::tools {

class TcpForwarder {
 public:
  // `target` is "HOST:PORT" with HOST an IPv4 address or "localhost".
  static absl::StatusOr<std::unique_ptr<TcpForwarder>> Start(
      int port, const std::string& target);
  // Stops accepting, closes every relayed connection and joins all threads.
  ~TcpForwarder();
  TcpForwarder(const TcpForwarder&) = delete;
  TcpForwarder& operator=(const TcpForwarder&) = delete;

 private:
  TcpForwarder() = default;
  void AcceptLoop();
  void Relay(int client_fd);
  // Copies what is readable on `from` to `to`; false on EOF or error.
  static bool Pump(int from, int to);

  int listen_fd_ = -1;
  sockaddr_in target_ = {};
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  absl::Mutex mu_;
  std::vector<std::thread> relays_ ABSL_GUARDED_BY(mu_);
};

}  // namespace outcomes::tools

#endif  // OUTCOMESD_DAEMON_TOOLS_TCP_FORWARDER_H_
