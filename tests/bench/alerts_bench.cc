// Goal evaluation cost per cycle (issues 4 and 11): 1,000 and 10,000
// providers x 10 goals (alert-heavy: about a third of the results in
// shortfall), as Alerting::OnSnapshot runs it: EvaluateGoalsInto (into the
// previous cycle's storage) + ShortfallInputCache::Inputs +
// AlertLifecycle::UpdateScopedInputs + AlertMetrics::Update +
// TakeDueNotifications (the series themselves are
// rendered at scrape time: BM_AlertMetricsCollect, not part of the cycle).
// Targets: <= 10 ms per cycle at 1,000 providers,
// <= 100 ms at 10,000.
//
//   build/tests/bench/bench_alerts --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/alerts/alert_lifecycle.h"
#include "daemon/alerts/alert_metrics.h"
#include "daemon/alerts/alert_text.h"
#include "daemon/alerts/goal_evaluator.h"
#include "daemon/base/clock.h"
#include "daemon/rules/rules_loader.h"
#include "daemon/state/figures.h"

namespace outcomes {
namespace {

constexpr int kProviders = 1000;  // the parts' benchmarks

constexpr char kRules[] = R"(contracts:
  - id: bench
    program: workforce
    goals:
      - {name: g1, alert: A1, metric: "window_events:referral", window: 30d, min: 20, for: 1d, severity: info}
      - {name: g2, alert: A2, metric: enrollment_rate, window: 30d, min: 0.6, min_sample: 20, confidence: 0.9, for: 0s, severity: warning}
      - {name: g3, alert: A3, metric: completion_rate, window: 90d, min: 0.5, min_sample: 20, for: 0s, severity: warning}
      - {name: g4, alert: A4, metric: stalled_referrals, max: 10, for: 0s, severity: warning}
      - {name: g5, alert: A5, metric: days_to_enroll_p50, window: 30d, max: 7, min_sample: 11, for: 0s, severity: warning}
      - {name: g6, alert: A6, metric: priority_share, stage: enrollment, window: 90d, min: 0.3, min_sample: 20, for: 0s, severity: warning}
      - {name: g7, alert: A7, metric: creaming_ratio, window: 90d, min: 0.8, min_sample: 20, for: 0s, severity: warning}
      - {name: g8, alert: A8, metric: group_rate_ratio, rate: enrollment_rate, dimension: race_ethnicity, window: 30d, min: 0.8, min_sample: 11, for: 0s, severity: warning}
      - {name: g9, alert: A9, metric: group_rate_ratio, rate: completion_rate, dimension: race_ethnicity, window: 90d, min: 0.8, min_sample: 11, for: 0s, severity: warning}
      - {name: g10, alert: A10, metric: "window_events:enrollment", window: 7d, min: 5, for: 1h, severity: info}
)";

Rate MakeRate(int64_t num, int64_t den) { return Rate{num, den}; }

WindowFigures Window(int days, int p) {
  WindowFigures w;
  w.days = days;
  const int64_t refs = 10 + (p * 7 + days) % 60;
  w.events = {refs, refs / 2, refs / 4, refs / 8, refs / 16};
  w.enrollment_rate = MakeRate(refs * (p % 10) / 10, refs);
  w.completion_rate = MakeRate(refs / 4, refs / 4 + refs / 8);
  w.days_to_enroll_count = refs / 2;
  w.days_to_enroll_p50 = 3 + p % 9;
  w.days_to_enroll_p90 = 10 + p % 5;
  w.priority_share_referral = MakeRate(refs * 4 / 10, refs);
  w.priority_share_enrollment = MakeRate(refs / 2 * (p % 5) / 10, refs / 2);
  for (const char* group : {"asian", "black", "hispanic", "native", "white"}) {
    const int64_t den = 5 + (p + group[0]) % 30;
    w.enrollment_groups.push_back(
        {"race_ethnicity", group,
         MakeRate(den * ((p + group[1]) % 10) / 10, den), den < 11});
    w.completion_groups.push_back(
        {"race_ethnicity", group, MakeRate(den / 2, den), den < 11});
  }
  return w;
}

std::vector<ProgramFigures> Figures(int providers = kProviders) {
  std::vector<ProgramFigures> figures;
  for (int p = 0; p < providers; ++p) {
    ProgramFigures f;
    f.provider = absl::StrCat("prov-", p);
    f.program = "workforce";
    f.stalled_referrals = p % 25;
    f.stalled_priority_referrals = p % 7;
    for (int days : {7, 30, 90}) f.windows.push_back(Window(days, p));
    figures.push_back(std::move(f));
  }
  return figures;
}

// As Alerting judges: explanations only for the results an alert shows.
EvaluatorSettings AsAlerting() {
  EvaluatorSettings s;
  s.explain_all = false;
  return s;
}

RuleSet Rules() {
  const std::string path = "/tmp/outcomes_bench_rules.yaml";
  std::ofstream(path) << kRules;
  auto rules = LoadRules({path}, RuleSettings{});
  std::remove(path.c_str());
  if (!rules.ok()) {
    std::fprintf(stderr, "%s\n", rules.status().ToString().c_str());
    std::abort();
  }
  return *std::move(rules);
}

void BM_GoalEvaluationCycle(benchmark::State& state) {
  const RuleSet rules = Rules();
  const int providers = static_cast<int>(state.range(0));
  const std::vector<ProgramFigures> figures = Figures(providers);
  // As Alerting passes them: pointers into the snapshot.
  std::vector<const ProgramFigures*> judged;
  for (const ProgramFigures& f : figures) judged.push_back(&f);
  FakeClock clock(absl::FromUnixSeconds(1795000000));
  AlertLifecycle lifecycle({absl::Minutes(1), absl::Minutes(15)}, clock);
  AlertMetrics metrics(lifecycle);
  std::vector<GoalResult> results;  // the previous cycle's storage
  size_t alerts = 0;
  const auto scope = [](const AlertLabels&) { return AlertScope::kJudged; };
  ShortfallInputCache inputs;
  // The rules as Alerting holds them (a shared RuleSet; the cache keys on it).
  const auto shared = std::make_shared<const RuleSet>(rules);
  const auto cycle = [&] {
    EvaluateGoalsInto(*shared, judged, AsAlerting(), results);
    lifecycle.UpdateScopedInputs(inputs.Inputs(results, shared), scope);
    results = metrics.Update(std::move(results), shared);
    alerts = lifecycle.TakeDueNotifications().size();
    clock.Advance(absl::Seconds(15));
    benchmark::DoNotOptimize(alerts);
  };
  // The first evaluation creates every instance and sends every alert: a
  // one-off at start, not the steady cycle measured here (which re-sends
  // every alert each 4th cycle: resend interval 1m, cycle 15s).
  cycle();
  for (auto _ : state) cycle();
  state.counters["goals"] = rules.num_goals();
  state.counters["providers"] = providers;
  state.counters["instances"] =
      static_cast<double>(lifecycle.Instances().size());
}
BENCHMARK(BM_GoalEvaluationCycle)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond);

// The parts of one cycle, to see where the time goes.
void BM_EvaluateGoalsOnly(benchmark::State& state) {
  const RuleSet rules = Rules();
  const std::vector<ProgramFigures> figures = Figures();
  for (auto _ : state) {
    benchmark::DoNotOptimize(EvaluateGoals(rules, figures, AsAlerting()));
  }
}
BENCHMARK(BM_EvaluateGoalsOnly)->Unit(benchmark::kMillisecond);

void BM_LifecycleUpdateOnly(benchmark::State& state) {
  const RuleSet rules = Rules();
  const auto results = EvaluateGoals(rules, Figures(), AsAlerting());
  const auto inputs = ShortfallInputs(results);
  FakeClock clock(absl::FromUnixSeconds(1795000000));
  AlertLifecycle lifecycle({absl::Minutes(1), absl::Minutes(15)}, clock);
  for (auto _ : state) {
    lifecycle.Update(inputs);
    clock.Advance(absl::Seconds(15));
  }
}
BENCHMARK(BM_LifecycleUpdateOnly)->Unit(benchmark::kMillisecond);

// Steady state: the inputs of the previous cycle are reused.
void BM_ShortfallInputCacheOnly(benchmark::State& state) {
  const auto rules = std::make_shared<const RuleSet>(Rules());
  const auto results = EvaluateGoals(*rules, Figures(), AsAlerting());
  ShortfallInputCache cache;
  cache.Inputs(results, rules);
  for (auto _ : state) benchmark::DoNotOptimize(cache.Inputs(results, rules));
}
BENCHMARK(BM_ShortfallInputCacheOnly)->Unit(benchmark::kMillisecond);

// Not part of the cycle: the goal and alert series rendered at scrape time.
void BM_AlertMetricsCollect(benchmark::State& state) {
  const RuleSet rules = Rules();
  auto results = EvaluateGoals(rules, Figures(), AsAlerting());
  FakeClock clock(absl::FromUnixSeconds(1795000000));
  AlertLifecycle lifecycle({absl::Minutes(1), absl::Minutes(15)}, clock);
  lifecycle.Update(ShortfallInputs(results));
  AlertMetrics metrics(lifecycle);
  metrics.Update(std::move(results));
  for (auto _ : state) benchmark::DoNotOptimize(metrics.Collect());
}
BENCHMARK(BM_AlertMetricsCollect)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace outcomes

BENCHMARK_MAIN();
