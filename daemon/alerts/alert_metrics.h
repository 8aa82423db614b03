// Prometheus export of goals and alerts (docs/metrics.md), declared in one
// place:
//   outcomes_goal_value{contract,provider,program,goal}
//   outcomes_goal_target{contract,provider,program,goal}
//   outcomes_alerts{alertname,contract,provider,program,goal,severity,
//                   alertstate} = 1 for pending and firing instances.
// outcomes_alerts keeps exactly the label names of docs/metrics.md, so the
// per-subgroup instances of a group_rate_ratio goal share one series per
// (goal, provider, program, alertstate); outcomes_goal_value of such a goal
// is the lowest ratio among the eligible groups. The per-group detail is in
// the notifications and /api/v1/alerts. Goals without a value export no
// goal_value series (never NaN).
//
// A prometheus-cpp Collectable: Update keeps the last evaluation's results
// (moved in, no copy) and Collect renders the series from them, and from
// the lifecycle's instances (all but those parked away, AlertScope::kAway),
// at scrape time: no object is kept per series, and series of goals and
// instances that are gone are simply not rendered any more.
//
// Thread safety: Update and Collect are thread-safe and may run
// concurrently.
#ifndef OUTCOMESD_DAEMON_ALERTS_ALERT_METRICS_H_
#define OUTCOMESD_DAEMON_ALERTS_ALERT_METRICS_H_

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "daemon/alerts/alert_lifecycle.h"
#include "daemon/alerts/goal_evaluator.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace outcomes {

class AlertMetrics : public prometheus::Collectable {
 public:
  // `lifecycle` must outlive this object.
  explicit AlertMetrics(const AlertLifecycle& lifecycle)
      : lifecycle_(lifecycle) {}

  // `rules` keeps alive the goals the results point to (may be null when
  // they outlive the next Update anyway, as in tests). Returns an empty
  // vector holding the previous results' storage, for EvaluateGoalsInto to
  // reuse (none while a scrape still reads them).
  std::vector<GoalResult> Update(std::vector<GoalResult> results,
                                 std::shared_ptr<const RuleSet> rules = nullptr)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The three families (a family without series is not listed).
  std::vector<prometheus::MetricFamily> Collect() const override
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Latest {
    std::shared_ptr<const RuleSet> rules;
    std::vector<GoalResult> results;
  };
  const AlertLifecycle& lifecycle_;
  mutable absl::Mutex mu_;
  // Collect reads it through shared_ptr<const Latest> copies.
  std::shared_ptr<Latest> latest_ ABSL_GUARDED_BY(mu_);
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_ALERTS_ALERT_METRICS_H_
