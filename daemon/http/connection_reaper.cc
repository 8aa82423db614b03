#include "daemon/http/connection_reaper.h"

#include <sys/socket.h>

namespace outcomes {

ConnectionReaper::ConnectionReaper(const Clock& clock, absl::Duration timeout,
                                   std::function<void()> on_timeout)
    : clock_(clock), timeout_(timeout), on_timeout_(std::move(on_timeout)) {}

ConnectionReaper::~ConnectionReaper() { Stop(); }

ConnectionReaper::ConnectionId ConnectionReaper::Add(int fd) {
  absl::MutexLock lock(&mu_);
  const ConnectionId id = next_id_++;
  entries_[id] = Entry{fd, clock_.Now()};
  return id;
}

void ConnectionReaper::Remove(ConnectionId id) {
  absl::MutexLock lock(&mu_);
  entries_.erase(id);
}

void ConnectionReaper::SetBusy(ConnectionId id, bool busy) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  it->second.busy = busy;
  it->second.since = clock_.Now();
}

void ConnectionReaper::Restart(ConnectionId id) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it != entries_.end()) it->second.since = clock_.Now();
}

int ConnectionReaper::open() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(entries_.size());
}

int ConnectionReaper::SweepOnce() {
  int shut = 0;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_.Now();
    for (auto& [id, e] : entries_) {
      if (e.busy || e.shut || now - e.since <= timeout_) continue;
      // Counted first, so whoever sees the connection end sees the count.
      if (on_timeout_) on_timeout_();
      // Under mu_: Remove() (before the descriptor is closed) waits for us.
      shutdown(e.fd, SHUT_RDWR);
      e.shut = true;
      ++shut;
    }
  }
  return shut;
}

void ConnectionReaper::Start(absl::Duration period) {
  thread_ = std::thread([this, period] {
    for (;;) {
      {
        absl::MutexLock lock(&mu_);
        if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), period)) return;
      }
      SweepOnce();
    }
  });
}

void ConnectionReaper::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace outcomes
