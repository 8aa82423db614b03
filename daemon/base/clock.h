// The source of "now" for everything that decides what outcomesd reports:
// event days and skew, windows, horizon eviction, goal and alert timers,
// notification schedules, checkpoint ages. That code takes a Clock&, and
// unit tests pass a FakeClock so nothing sleeps. Two uses read absl::Now()
// directly on purpose: measuring how long something took (histograms,
// log timestamps, I/O deadlines and polling intervals in the Kafka and HTTP
// edges), and the replay start of a partition (now − horizon, in
// daemon/kafka/rdkafka_consumer.cc), which only bounds what is re-read.
//
// Thread safety: implementations are safe to call from any thread.
#ifndef OUTCOMESD_DAEMON_BASE_CLOCK_H_
#define OUTCOMESD_DAEMON_BASE_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace outcomes {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// Wall-clock time. The returned object lives forever; do not delete it.
Clock& RealClock();

// A clock that moves only when told to. For tests.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_BASE_CLOCK_H_
