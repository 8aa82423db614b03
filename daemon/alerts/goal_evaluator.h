// Judges every contract goal against the figures of every provider+program
// (docs/goals.md). Pure computation: no clock, no state, no I/O; the alert
// lifecycle (alert_lifecycle.h) turns results into pending/firing alerts.
//
// For each contract x goal x provider+program the contract applies to
// (providers empty = every provider with figures in the program):
//   - value and sample size from the goal's metric and window;
//   - target = the provider's override, else the goal's min/max;
//   - not judged when the value is absent or sample < min_sample;
//   - not judged when the figure's history is incomplete (docs/design.md,
//   "State through restarts, rebalances and faults":
//     Kafka retention dropped events the figure needs): the window's
//     WindowFigures::complete is false, or for stalled_referrals (a
//     horizon-wide figure) ProgramFigures::history_complete is false. Such a
//     result has incomplete = true and never a shortfall: no alert from
//     missing data. Alerting parks (neither resolves nor re-sends) the alerts
//     of an incomplete goal, see alerting.h;
//   - shortfall when value < min (or > max), strictly; with `confidence`,
//     only when the whole Wilson interval is below min (above max).
// group_rate_ratio yields one result per subgroup of the dimension that has
// at least max(min_sample, 1) cases and is not suppressed; value = the
// group's rate / the best such group's rate. Suppressed and small groups
// are neither judged nor the reference, and never appear in any result.
//
// Thread safety: pure function.
#ifndef OUTCOMESD_DAEMON_ALERTS_GOAL_EVALUATOR_H_
#define OUTCOMESD_DAEMON_ALERTS_GOAL_EVALUATOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/alerts/wilson.h"
#include "daemon/rules/goal_metrics.h"
#include "daemon/rules/goal_spec.h"
#include "daemon/state/figures.h"

namespace outcomes {

struct GoalResult {
  // Points into the RuleSet passed to EvaluateGoals: valid while it lives.
  const GoalSpec* goal = nullptr;
  std::string provider;
  std::string program;
  std::string dimension;        // group_rate_ratio only
  std::string group;            // group_rate_ratio only
  std::optional<double> value;  // absent: no data (e.g. denominator 0)
  double target = 0;
  int64_t sample_size = 0;
  std::string sample_unit;  // "referrals", "enrollments", ...
  bool judged = false;      // value present and sample >= min_sample
  bool shortfall = false;   // REQUIRES-free: false unless judged
  // Not judged because the history the figure needs is missing (then
  // judged and shortfall are false). group_rate_ratio: one result with no
  // group and no value stands for the whole goal.
  bool incomplete = false;
  std::optional<Interval> interval;  // statistical mode only
  // Plain sentences about what is behind the value, e.g. "9 of 20 referrals
  // made 15-44 days ago enrolled within 14 days. 17 referrals older than 14
  // days are not enrolled; 11 are priority-population clients."
  // Empty when settings.explain is false, and with settings.explain_all
  // false for results neither in shortfall nor incomplete (EvaluateGoals).
  std::string explanation;
};

// Results in (contract, goal, figures order, group) order. With
// settings.explain_all false, explanations only for results in shortfall or
// incomplete (alerting: the text of every result would cost more than
// judging it).
std::vector<GoalResult> EvaluateGoals(
    const RuleSet& rules, const std::vector<ProgramFigures>& figures,
    const EvaluatorSettings& settings);
// The same over figures held elsewhere (no copy of them).
std::vector<GoalResult> EvaluateGoals(
    const RuleSet& rules, const std::vector<const ProgramFigures*>& figures,
    const EvaluatorSettings& settings);
// The same into `out`, whose previous contents are dropped and whose storage
// is reused: an evaluation loop passes the previous evaluation's results
// (AlertMetrics::Update hands them back) instead of allocating, and faulting
// in, tens of megabytes every cycle at 10,000 providers.
void EvaluateGoalsInto(const RuleSet& rules,
                       const std::vector<const ProgramFigures*>& figures,
                       const EvaluatorSettings& settings,
                       std::vector<GoalResult>& out);

// One goal against one provider+program (group_rate_ratio: one result per
// eligible group), appended to `out`.
void EvaluateGoalInto(const GoalSpec& goal, const ProgramFigures& figures,
                      const EvaluatorSettings& settings,
                      std::vector<GoalResult>& out);
// The same, returned. Exposed for tests.
std::vector<GoalResult> EvaluateGoal(const GoalSpec& goal,
                                     const ProgramFigures& figures,
                                     const EvaluatorSettings& settings);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_ALERTS_GOAL_EVALUATOR_H_
