#include "daemon/alerts/alert_metrics.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace outcomes {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;

MetricFamily Family(const char* name, const char* help) {
  MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = prometheus::MetricType::Gauge;
  return f;
}

// Labels sorted by name, as the text format lists them.
std::vector<ClientMetric::Label> GoalLabels(const GoalResult& r) {
  return {{"contract", r.goal->contract},
          {"goal", r.goal->name},
          {"program", r.program},
          {"provider", r.provider}};
}

std::string_view LabelOf(const AlertInstance& a, const char* name) {
  const auto it = a.labels.find(name);
  return it == a.labels.end() ? std::string_view() : it->second;
}

// goal_value (lowest value of a goal's results) and goal_target (the last
// result's target) per (contract, goal, provider, program).
void RenderGoals(const std::vector<GoalResult>& results, MetricFamily& values,
                 MetricFamily& targets) {
  using Key = std::tuple<std::string_view, std::string_view, std::string_view,
                         std::string_view>;
  absl::flat_hash_map<Key, std::pair<size_t, size_t>> index;  // target, value
  constexpr size_t kNone = SIZE_MAX;
  for (const GoalResult& r : results) {
    const Key key{r.goal->contract, r.goal->name, r.provider, r.program};
    auto [it, added] = index.try_emplace(key, targets.metric.size(), kNone);
    if (added) targets.metric.emplace_back().label = GoalLabels(r);
    targets.metric[it->second.first].gauge.value = r.target;
    if (!r.value.has_value()) continue;
    size_t& v = it->second.second;
    if (v == kNone) {
      v = values.metric.size();
      ClientMetric& m = values.metric.emplace_back();
      m.label = GoalLabels(r);
      m.gauge.value = *r.value;
    } else {
      values.metric[v].gauge.value =
          std::min(values.metric[v].gauge.value, *r.value);
    }
  }
}

// One series per label set of docs/metrics.md among the pending and firing
// instances that are this process's.
void RenderAlerts(const AlertLifecycle& lifecycle, MetricFamily& alerts) {
  constexpr const char* kNames[] = {"alertname", "contract", "goal",
                                    "program",   "provider", "severity"};
  absl::flat_hash_map<std::string, bool> seen;
  lifecycle.ForEachInstance([&](const AlertInstance& a) {
    if (a.phase == AlertPhase::kResolved || a.scope == AlertScope::kAway) {
      return;
    }
    const char* state = AlertPhaseName(a.phase);
    std::string key = state;
    for (const char* name : kNames) {
      key += '\x1f';
      key += LabelOf(a, name);
    }
    if (!seen.try_emplace(std::move(key), true).second) return;
    ClientMetric& m = alerts.metric.emplace_back();
    m.label = {{"alertname", std::string(LabelOf(a, "alertname"))},
               {"alertstate", state},
               {"contract", std::string(LabelOf(a, "contract"))},
               {"goal", std::string(LabelOf(a, "goal"))},
               {"program", std::string(LabelOf(a, "program"))},
               {"provider", std::string(LabelOf(a, "provider"))},
               {"severity", std::string(LabelOf(a, "severity"))}};
    m.gauge.value = 1;
  });
}

}  // namespace

std::vector<GoalResult> AlertMetrics::Update(
    std::vector<GoalResult> results, std::shared_ptr<const RuleSet> rules) {
  auto latest = std::make_shared<Latest>();
  latest->rules = std::move(rules);
  latest->results = std::move(results);
  std::shared_ptr<Latest> old;  // freed outside the lock
  {
    absl::MutexLock lock(&mu_);
    old = std::exchange(latest_, std::move(latest));
  }
  std::vector<GoalResult> spare;
  // Unreachable now, so a count of 1 stays 1: no Collect holds it. The
  // fence orders our writes after a finished Collect's reads (its release
  // of the count).
  if (old != nullptr && old.use_count() == 1) {
    std::atomic_thread_fence(std::memory_order_acquire);
    spare = std::move(old->results);
    spare.clear();  // their goals may go with `old`
  }
  return spare;
}

std::vector<prometheus::MetricFamily> AlertMetrics::Collect() const {
  std::shared_ptr<const Latest> latest;
  {
    absl::MutexLock lock(&mu_);
    latest = latest_;
  }
  std::vector<MetricFamily> out;
  out.push_back(Family("outcomes_goal_value",
                       "Current value of each contract goal per provider and "
                       "program (group_rate_ratio: lowest group ratio)"));
  out.push_back(Family("outcomes_goal_target",
                       "Target of each contract goal per provider and program "
                       "(min or max, after overrides)"));
  out.push_back(Family("outcomes_alerts",
                       "Pending and firing shortfall alerts, like "
                       "Prometheus's ALERTS"));
  if (latest != nullptr) RenderGoals(latest->results, out[0], out[1]);
  RenderAlerts(lifecycle_, out[2]);
  std::erase_if(out, [](const MetricFamily& f) { return f.metric.empty(); });
  return out;
}

}  // namespace outcomes
