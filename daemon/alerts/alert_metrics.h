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
// the notifications and /api/v1/alerts. Series of goals and instances that
// are gone are removed at the next Update. Goals without a value export
// no goal_value series (never NaN).
//
// Thread safety: Update must not run concurrently with itself; scraping the
// registry concurrently is safe (prometheus-cpp locks).
#ifndef OUTCOMESD_DAEMON_ALERTS_ALERT_METRICS_H_
#define OUTCOMESD_DAEMON_ALERTS_ALERT_METRICS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "daemon/alerts/alert_lifecycle.h"
#include "daemon/alerts/goal_evaluator.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace outcomes {

class AlertMetrics {
 public:
  // `registry` must outlive this object.
  explicit AlertMetrics(prometheus::Registry& registry);

  void Update(const std::vector<GoalResult>& results,
              const std::vector<AlertInstance>& instances);

 private:
  using Labels = std::map<std::string, std::string>;
  // A series: its labels (built only when it is new) and value. Keyed by the
  // label values joined, which is cheap to hash; thousands of series are
  // synced every evaluation.
  struct Series {
    const GoalResult* result = nullptr;    // goal series
    const AlertInstance* alert = nullptr;  // alert series
    double value = 0;
  };
  using SeriesMap = absl::flat_hash_map<std::string, Series>;
  using LiveMap = absl::flat_hash_map<std::string, prometheus::Gauge*>;
  // Sets `family` to exactly `series`, removing the others.
  static void Sync(prometheus::Family<prometheus::Gauge>& family, LiveMap& live,
                   const SeriesMap& series);

  prometheus::Family<prometheus::Gauge>& goal_value_;
  prometheus::Family<prometheus::Gauge>& goal_target_;
  prometheus::Family<prometheus::Gauge>& alerts_;
  LiveMap live_value_;
  LiveMap live_target_;
  LiveMap live_alerts_;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_ALERTS_ALERT_METRICS_H_
