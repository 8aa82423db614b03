// Enforces the server's per-request deadline: a connection that has not
// delivered a request and received its answer within `timeout` of being
// accepted (or of its last answer) is shut down. libmicrohttpd only times
// out inactivity, which a client sending a byte every few seconds never
// triggers; this bounds the whole exchange. Time spent in our own handler
// (a suspended connection) does not count.
//
// Closing works by shutdown(2) on the socket: the server's event loop then
// sees the connection fail and cleans it up itself. Remove() must be called
// before the descriptor is closed (libmicrohttpd's "closed" notification
// comes first), so the reaper never touches a reused descriptor.
//
// Thread safety: all methods are safe from any thread.
#ifndef OUTCOMESD_DAEMON_HTTP_CONNECTION_REAPER_H_
#define OUTCOMESD_DAEMON_HTTP_CONNECTION_REAPER_H_

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "daemon/base/clock.h"

namespace outcomes {

class ConnectionReaper {
 public:
  using ConnectionId = uint64_t;

  // `on_timeout` runs once per connection, just before it is shut down,
  // under the reaper's lock: it must not call the reaper.
  ConnectionReaper(const Clock& clock, absl::Duration timeout,
                   std::function<void()> on_timeout);
  ~ConnectionReaper();  // Stop().

  ConnectionId Add(int fd);
  void Remove(ConnectionId id);
  // While busy (our handler runs) the deadline does not apply; leaving the
  // busy state starts a fresh deadline for sending the answer.
  void SetBusy(ConnectionId id, bool busy);
  // The connection's request was answered: a fresh deadline starts.
  void Restart(ConnectionId id);
  int open() const;

  // Shuts down the overdue connections once; returns how many.
  int SweepOnce();
  // Sweeps every `period` on a thread of its own until Stop().
  void Start(absl::Duration period);
  void Stop();

 private:
  struct Entry {
    int fd;
    absl::Time since;
    bool busy = false;
    bool shut = false;
  };

  const Clock& clock_;
  const absl::Duration timeout_;
  const std::function<void()> on_timeout_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<ConnectionId, Entry> entries_ ABSL_GUARDED_BY(mu_);
  ConnectionId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_HTTP_CONNECTION_REAPER_H_
