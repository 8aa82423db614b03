// Refreshes figures: every --eval.interval and right after the agency's day
// rolls over, takes a StateStore snapshot, exports it to Prometheus, keeps it
// for the HTTP API, and hands it to the listeners (goal evaluation).
//
// Metric (declared here): outcomes_last_evaluation_timestamp_seconds, the
// Clock time (unix seconds) at which the last completed evaluation started,
// set once the exporter and every listener are done; absent before the
// first. An SRE alert fires when it stops advancing.
//
// Thread safety: Start/Stop from the owning thread; Latest() from any thread.
// Ownership: borrows the store, exporter, clock and registry; they must
// outlive it.
#ifndef OUTCOMESD_DAEMON_EVALUATION_LOOP_H_
#define OUTCOMESD_DAEMON_EVALUATION_LOOP_H_

#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "daemon/base/clock.h"
#include "daemon/state/figures_exporter.h"
#include "daemon/state/state_store.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace outcomes {

class EvaluationLoop {
 public:
  using Listener = std::function<void(const StoreSnapshot&)>;

  EvaluationLoop(StateStore& store, FiguresExporter& exporter,
                 const Clock& clock, absl::TimeZone timezone,
                 absl::Duration interval, prometheus::Registry& registry);
  ~EvaluationLoop();  // Stops.

  // REQUIRES: before Start().
  void AddListener(Listener listener) {
    listeners_.push_back(std::move(listener));
  }

  void Start();
  void Stop();

  // One evaluation now (also used by tests and at shutdown).
  void RunOnce();
  // Asks the loop's thread for an evaluation now (e.g. the consumer just
  // caught up), instead of at the end of the interval. Thread-safe.
  void Wake();

  // The store evaluated, for read-only queries (figures as of a past day,
  // events between two days).
  const StateStore& store() const { return store_; }

  // The latest snapshot; an empty one before the first evaluation.
  std::shared_ptr<const StoreSnapshot> Latest() const;

  // How long to wait after `now` before the next evaluation: the interval,
  // or less when the day rolls over sooner.
  absl::Duration NextWait(absl::Time now) const;

 private:
  void Loop();

  StateStore& store_;
  FiguresExporter& exporter_;
  const Clock& clock_;
  const absl::TimeZone timezone_;
  const absl::Duration interval_;
  prometheus::Family<prometheus::Gauge>& last_evaluation_family_;
  // Added at the first evaluation (no series before: not a 1970 timestamp).
  prometheus::Gauge* last_evaluation_ = nullptr;  // only the evaluating thread
  std::vector<Listener> listeners_;
  std::thread thread_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<const StoreSnapshot> latest_ ABSL_GUARDED_BY(mu_);
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_EVALUATION_LOOP_H_
