#include "daemon/alerts/alert_metrics.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

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

// The label values joined with a separator that cannot occur in them.
std::string GoalKey(const GoalResult& r) {
  return absl::StrCat(r.goal->contract, "\x1f", r.provider, "\x1f", r.program,
                      "\x1f", r.goal->name);
}

std::string AlertKey(const AlertInstance& a) {
  std::string key;
  for (const auto& [name, value] : AlertSeriesLabels(a)) {
    absl::StrAppend(&key, value, "\x1f");
  }
  return key;
}

}  // namespace

AlertMetrics::AlertMetrics(prometheus::Registry& registry)
    : goal_value_(
          prometheus::BuildGauge()
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
                        LiveMap& live, const SeriesMap& series) {
  for (auto it = live.begin(); it != live.end();) {
    if (!series.contains(it->first)) {
      family.Remove(it->second);
      live.erase(it++);
    } else {
      ++it;
    }
  }
  for (const auto& [key, s] : series) {
    auto [it, inserted] = live.try_emplace(key, nullptr);
    if (inserted) {
      it->second =
          &family.Add(s.result != nullptr ? GoalLabels(*s.result)
                                          : AlertSeriesLabels(*s.alert));
    }
    it->second->Set(s.value);
  }
}

void AlertMetrics::Update(const std::vector<GoalResult>& results,
                          const std::vector<AlertInstance>& instances) {
  SeriesMap values, targets, alerts;
  for (const GoalResult& r : results) {
    const std::string key = GoalKey(r);
    targets[key] = Series{&r, nullptr, r.target};
    if (!r.value.has_value()) continue;
    auto [it, inserted] =
        values.try_emplace(key, Series{&r, nullptr, *r.value});
    if (!inserted) it->second.value = std::min(it->second.value, *r.value);
  }
  for (const AlertInstance& a : instances) {
    if (a.phase == AlertPhase::kResolved) continue;
    alerts[AlertKey(a)] = Series{nullptr, &a, 1};
  }
  Sync(goal_value_, live_value_, values);
  Sync(goal_target_, live_target_, targets);
  Sync(alerts_, live_alerts_, alerts);
}

}  // namespace outcomes
