// Exports StateStore figures as the Prometheus gauges of docs/metrics.md. The
// exporter is a prometheus-cpp Collectable: it keeps only the latest
// snapshot (shared with the evaluation loop, no copy) and renders the
// series from it at scrape time, so no object is kept per series and the
// series of a revoked partition, of a rate that became absent or
// suppressed, or of a provider past the horizon are simply not rendered
// any more. Names and labels are the contract:
//
//   outcomes_window_events{provider,program,type,window}
//   outcomes_enrollment_rate{provider,program,window}
//   outcomes_completion_rate{provider,program,window}
//   outcomes_stalled_referrals{provider,program}
//   outcomes_time_to_enroll_seconds{provider,program,window,percentile="50"|"90"}
//       (whole days x 86400)
//   outcomes_priority_share{provider,program,stage,window}
//   outcomes_group_rate{provider,program,window,metric,dimension,group}
//
// plus, beyond the contract:
//
//   outcomes_stalled_priority_referrals{provider,program}  stalled referrals
//       of priority clients
//   outcomes_state_funnels{topic,partition}  live client funnels
//   outcomes_group_overflow_total{dimension}  (counter, on the registry)
//       events whose subgroup value was folded into "no group" by the
//       per-dimension cap
//
// Window label values are "<N>d"; type is referral|enrollment|completion|
// disenrollment|outcome; stage is referral|enrollment; metric is
// enrollment_rate|completion_rate. Absent rates and suppressed subgroups
// have no series; a family without series is not rendered. If two
// partitions hold the same provider+program (a producer keying error), the
// first partition in PartitionId order wins.
//
// Thread safety: Update and Collect are thread-safe and may run
// concurrently (the snapshot is swapped under a mutex and read without it).
#ifndef OUTCOMESD_DAEMON_STATE_FIGURES_EXPORTER_H_
#define OUTCOMESD_DAEMON_STATE_FIGURES_EXPORTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "daemon/state/state_store.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"

namespace outcomes {

class FiguresExporter : public prometheus::Collectable {
 public:
  // Registers the overflow counter family on `registry`, which must
  // outlive this object. The figure families are rendered by Collect: add
  // this object to the scraped sources next to the registry.
  explicit FiguresExporter(prometheus::Registry& registry);
  ~FiguresExporter() override;
  FiguresExporter(const FiguresExporter&) = delete;
  FiguresExporter& operator=(const FiguresExporter&) = delete;

  // Makes `snapshot` the one rendered (REQUIRES: not null) and adds the
  // overflow events counted since the previous update.
  void Update(std::shared_ptr<const StoreSnapshot> snapshot)
      ABSL_LOCKS_EXCLUDED(mu_, overflow_mu_);
  void Update(StoreSnapshot snapshot) {
    Update(std::make_shared<const StoreSnapshot>(std::move(snapshot)));
  }

  // The figure families of the latest snapshot (none before the first).
  std::vector<prometheus::MetricFamily> Collect() const override
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void ExportOverflow(const std::vector<GroupOverflow>& overflow)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(overflow_mu_);

  mutable absl::Mutex mu_;
  std::shared_ptr<const StoreSnapshot> latest_ ABSL_GUARDED_BY(mu_);
  absl::Mutex overflow_mu_;  // serializes Update's counter increments
  prometheus::Family<prometheus::Counter>& overflow_family_;
  absl::flat_hash_map<std::string, uint64_t> overflow_exported_
      ABSL_GUARDED_BY(overflow_mu_);
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_FIGURES_EXPORTER_H_
