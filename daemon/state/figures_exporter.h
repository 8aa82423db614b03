// Exports StateStore figures as the Prometheus gauges of docs/metrics.md. All
// families are declared in one place (the constructor); names and labels
// are the contract:
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
//   outcomes_group_overflow_total{dimension}  (counter) events whose
//       subgroup value was folded into "no group" by the per-dimension cap
//
// Window label values are "<N>d"; type is referral|enrollment|completion|
// disenrollment|outcome; stage is referral|enrollment; metric is
// enrollment_rate|completion_rate. Absent rates and suppressed subgroups
// have no series. If two partitions hold the same provider+program (a
// producer keying error), the first partition in PartitionId order wins.
//
// Thread safety: Update is thread-safe (serialized internally); the
// registry may be collected concurrently.
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
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace outcomes {

class FiguresExporter {
 public:
  // Registers the families on `registry`, which must outlive this object.
  explicit FiguresExporter(prometheus::Registry& registry);
  ~FiguresExporter();
  FiguresExporter(const FiguresExporter&) = delete;
  FiguresExporter& operator=(const FiguresExporter&) = delete;

  // Sets every series of `snapshot` and removes the series that it no
  // longer contains (revoked partitions, rates that became absent or
  // suppressed, providers past the horizon).
  void Update(const StoreSnapshot& snapshot) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  class SeriesSet;
  void ExportProgram(const ProgramFigures& p)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ExportWindow(const ProgramFigures& p, const WindowFigures& w)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ExportGroups(const ProgramFigures& p, const std::string& window,
                    const char* metric, const std::vector<GroupRate>& groups)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ExportOverflow(const std::vector<GroupOverflow>& overflow)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::unique_ptr<SeriesSet> window_events_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<SeriesSet> enrollment_rate_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<SeriesSet> completion_rate_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<SeriesSet> stalled_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<SeriesSet> stalled_priority_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<SeriesSet> time_to_enroll_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<SeriesSet> priority_share_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<SeriesSet> group_rate_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<SeriesSet> funnels_ ABSL_GUARDED_BY(mu_);
  prometheus::Family<prometheus::Counter>& overflow_family_;
  absl::flat_hash_map<std::string, uint64_t> overflow_exported_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_FIGURES_EXPORTER_H_
