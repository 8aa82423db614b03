#include "daemon/alerts/alert_metrics.h"

#include <algorithm>

namespace outcomes {
namespace {

using Labels = std::map<std::string, std::string>;

Labels GoalLabels(const GoalResult& r) {
  return {{"contract", r.goal->contract},
          {"provider", r.provider},
          {"program", r.program},
          {"goal", r.goal->name}};
}

Labels AlertSeriesLabels(const AlertInstance& a) {
  Labels out;
  for (const char* name :
       {"alertname", "contract", "provider", "program", "goal", "severity"}) {
    auto it = a.labels.find(name);
    out[name] = it == a.labels.end() ? "" : it->second;
  }
  out["alertstate"] = AlertPhaseName(a.phase);
  return out;
}

}  // namespace

AlertMetrics::AlertMetrics(prometheus::Registry& registry)
    : goal_value_(prometheus::BuildGauge()
                      .Name("outcomes_goal_value")
                      .Help("Current value of each contract goal per provider "
                            "and program (group_rate_ratio: lowest group ratio)")
                      .Register(registry)),
      goal_target_(prometheus::BuildGauge()
                       .Name("outcomes_goal_target")
                       .Help("Target of each contract goal per provider and "
                             "program (min or max, after overrides)")
                       .Register(registry)),
      alerts_(prometheus::BuildGauge()
                  .Name("outcomes_alerts")
                  .Help("Pending and firing shortfall alerts, like "
                        "Prometheus's ALERTS")
                  .Register(registry)) {}

void AlertMetrics::Sync(prometheus::Family<prometheus::Gauge>& family,
                        std::map<Labels, prometheus::Gauge*>& live,
                        const SeriesMap& series) {
  for (auto it = live.begin(); it != live.end();) {
    if (series.count(it->first) == 0) {
      family.Remove(it->second);
      it = live.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [labels, value] : series) {
    auto [it, inserted] = live.emplace(labels, nullptr);
    if (inserted) it->second = &family.Add(labels);
    it->second->Set(value);
  }
}

void AlertMetrics::Update(const std::vector<GoalResult>& results,
                          const std::vector<AlertInstance>& instances) {
  SeriesMap values, targets, alerts;
  for (const GoalResult& r : results) {
    const Labels labels = GoalLabels(r);
    targets[labels] = r.target;
    if (!r.value.has_value()) continue;
    auto [it, inserted] = values.emplace(labels, *r.value);
    if (!inserted) it->second = std::min(it->second, *r.value);
  }
  for (const AlertInstance& a : instances) {
    if (a.phase == AlertPhase::kResolved) continue;
    alerts[AlertSeriesLabels(a)] = 1;
  }
  Sync(goal_value_, live_value_, values);
  Sync(goal_target_, live_target_, targets);
  Sync(alerts_, live_alerts_, alerts);
}

}  // namespace outcomes
