// The goal-metric table: the one place that says what each goal metric
// (docs/goals.md, `metric:` in rules) is. A row gives its name in rule files,
// how rule files may use it (window, stage, rate/dimension, which targets
// are valid), how alert text names it, and how its value, sample and
// explanation are measured from a provider+program's figures.
//
// A new goal metric is: a value in the v1::GoalMetric enum (rules.proto),
// a row in kGoalMetricTable (goal_metrics.cc), and the measure function the
// row points to. The validator, evaluator, alert text, `outcomesctl` and the
// brief all read the table.
//
// Thread safety: immutable data and pure functions.
#ifndef OUTCOMESD_DAEMON_RULES_GOAL_METRICS_H_
#define OUTCOMESD_DAEMON_RULES_GOAL_METRICS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "daemon/state/figures.h"
#include "outcomes/v1/rules.pb.h"

namespace outcomes {

struct GoalSpec;

// What the figures were computed with (the daemon's StateSettings).
struct EvaluatorSettings {
  int enroll_within_days = 14;
  int horizon_days = 120;
  // False: Measure (and the goal evaluator) leave explanations empty, for
  // results nobody reads (the value and sample are the same either way).
  bool explain = true;
  // EvaluateGoals: false explains only the results an alert shows (in
  // shortfall or incomplete), which is what alerting reads; the others'
  // text would cost more than judging them.
  bool explain_all = true;
};

// The value behind one goal for one provider+program.
struct Measurement {
  std::optional<double> value;  // absent: no data (e.g. denominator 0)
  int64_t successes = 0;        // proportions: the numerator (Wilson mode)
  int64_t sample_size = 0;
  std::string sample_unit;  // "referrals", "enrollments", ...
  std::string explanation;  // plain sentences, no client data
};

// One row of the table.
struct GoalMetricInfo {
  v1::GoalMetric metric;
  // As written in rules; window_events is written "window_events:<type>".
  absl::string_view name;
  bool proportion;  // a share in [0, 1]: targets in [0, 1], `confidence`
                    // allowed, shown as a percentage
  bool windowed;    // requires `window:` (else it covers the horizon)
  bool staged;      // takes `stage:` (referral | enrollment)
  bool per_group;   // judged per subgroup: takes `rate:` and `dimension:`;
                    // measured by the evaluator group by group
  // How alert text names the metric, e.g. "enrollment rate"; when empty,
  // phrase_fn builds it from the goal (`dimension` and `group` are set for
  // per-group metrics only). Read it through MetricPhrase.
  absl::string_view phrase;
  std::string (*phrase_fn)(const GoalSpec& goal, absl::string_view dimension,
                           absl::string_view group);
  // Value, sample and explanation. `window` is the goal's window of
  // `figures` (null when not windowed). Null for per-group metrics.
  Measurement (*measure)(const GoalSpec& goal, const WindowFigures* window,
                         const ProgramFigures& figures,
                         const EvaluatorSettings& settings);
};

// The row of `metric`. REQUIRES: metric is a value of the table.
const GoalMetricInfo& MetricInfo(v1::GoalMetric metric);
// The row whose name is `name`, or of "window_events" for
// "window_events:<anything>"; null when none.
const GoalMetricInfo* FindMetric(absl::string_view name);
// "window_events:<type>, enrollment_rate, ..." for error messages; only the
// proportion metrics when `proportions_only`.
std::string MetricNames(bool proportions_only = false);

// How people read the goal's metric, e.g. "enrollment rate".
std::string MetricPhrase(const GoalSpec& goal, absl::string_view dimension = {},
                         absl::string_view group = {});

// The measurement of a non-per-group goal (empty when its window is not
// among the figures' windows).
Measurement Measure(const GoalSpec& goal, const ProgramFigures& figures,
                    const EvaluatorSettings& settings);

// The window of `figures` with `days`, or null.
const WindowFigures* FindWindow(const ProgramFigures& figures, int days);

// "17 referrals older than 14 days are not enrolled; 11 are
// priority-population clients." Empty when nothing is stalled.
std::string StalledSentence(const ProgramFigures& figures,
                            const EvaluatorSettings& settings);

// 0.4567 -> "45.7%".
std::string Percent(double share);
// Shortest plain number: 17 -> "17", 0.6 -> "0.6", 0.45678 -> "0.4568".
std::string FormatNumber(double v);
// A value of the goal's metric for people: a percentage for proportions.
std::string ShowValue(const GoalSpec& goal, double v);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_RULES_GOAL_METRICS_H_
