// The value behind one goal for one provider+program (internal to
// daemon/alerts; used by goal_evaluator.cc).
// Thread safety: pure functions.
#ifndef OUTCOMESD_DAEMON_ALERTS_GOAL_MEASURE_H_
#define OUTCOMESD_DAEMON_ALERTS_GOAL_MEASURE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "daemon/alerts/goal_evaluator.h"

namespace outcomes {

struct Measurement {
  std::optional<double> value;
  int64_t successes = 0;  // proportions: the numerator (Wilson mode)
  int64_t sample_size = 0;
  std::string sample_unit;
  std::string explanation;
};

// The window of `figures` with `days`, or null.
const WindowFigures* FindWindow(const ProgramFigures& figures, int days);

// Every metric except group_rate_ratio. REQUIRES: goal.window_days is one of
// figures' windows unless the metric is stalled_referrals (else: no value).
Measurement Measure(const GoalSpec& goal, const ProgramFigures& figures,
                    const EvaluatorSettings& settings);

// "17 referrals older than 14 days are not enrolled; 11 are
// priority-population clients." Empty when nothing is stalled.
std::string StalledSentence(const ProgramFigures& figures,
                            const EvaluatorSettings& settings);

// 0.4567 -> "45.7%".
std::string Percent(double share);
// Shortest plain number: 17 -> "17", 0.6 -> "0.6", 0.45678 -> "0.4568".
std::string FormatNumber(double v);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_ALERTS_GOAL_MEASURE_H_
