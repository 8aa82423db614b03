// `outcomesctl backtest` (docs/design.md, "Brief, payments and backtest"): what
// the goals of a rule set would have done over a history of events. Each event
// is known from its occurred_at: for every day from `from` to `to` that day's
// events are counted, then every goal is judged as of the end of the day by
// GoalReplay (the daemon's state, figures, evaluator and alert lifecycle). The
// lifecycle runs on a fake clock that stands at the end of each day, days
// exactly 24 h apart, so `for` and keep_firing_for count whole days (a
// duration that is not a whole number of days is rounded up). The lifecycle
// starts at `from` (as a daemon started that day with the history before it
// loaded); events before `from` are counted, those past the horizon as of
// `from` are not. The history starts at its first event's day: like the
// daemon after Kafka retention (docs/design.md, "State through restarts,
// rebalances and faults"), a window that reads earlier days is incomplete and
// its goals are not judged.
//
// A transition is reported the day an alert goes pending, firing (a goal
// with `for: 0s` goes straight to firing) or resolved; "resolved" is also
// reported for a pending alert whose condition stopped holding before it
// fired.
//
// Thread safety: pure functions.
#ifndef OUTCOMESD_DAEMON_CTL_BACKTEST_H_
#define OUTCOMESD_DAEMON_CTL_BACKTEST_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/alerts/alert_lifecycle.h"
#include "daemon/base/day.h"
#include "daemon/base/json.h"
#include "daemon/ctl/event_history.h"
#include "daemon/rules/goal_spec.h"
#include "daemon/state/state_settings.h"

namespace outcomes {

struct BacktestOptions {
  StateSettings state;            // as the daemon's flags
  std::optional<DayNumber> from;  // default: the first event's day
  std::optional<DayNumber> to;    // default: the last event's day
};

struct AlertTransition {
  DayNumber day = 0;
  AlertLabels labels;  // alertname, contract, provider, program, goal, ...
  AlertPhase state = AlertPhase::kPending;
  std::optional<double> value;  // the goal's value that day; absent: none
  double target = 0;
};

struct GoalSummary {
  std::string contract;
  std::string goal;
  int64_t alerts_fired = 0;  // transitions to firing
  // Days x providers with at least one firing alert of the goal.
  int64_t provider_days_firing = 0;
  std::set<std::string> providers_affected;  // had a firing alert
  std::set<std::string> providers_judged;    // judged on at least one day
};

struct BacktestReport {
  DayNumber from = 0;
  DayNumber to = 0;
  int64_t events_counted = 0;
  std::vector<AlertTransition> transitions;  // by day, then labels
  std::vector<GoalSummary> goals;            // in rule order
};

// REQUIRES: ValidateStateSettings(options.state).ok(). InvalidArgument when
// from > to, or when the history is empty and from or to is not given.
absl::StatusOr<BacktestReport> RunBacktest(const RuleSet& rules,
                                           const EventHistory& history,
                                           const BacktestOptions& options);

// {day, alertname, contract, provider, program, goal, state, value, target}
// (+ dimension, group for group_rate_ratio goals), keys in that order.
Json TransitionJson(const AlertTransition& t);

// One row per goal: contract, goal, alerts fired, provider-days firing,
// providers affected (count and the first ids), providers judged.
std::string SummaryTable(const BacktestReport& report);

// ParseDay (daemon/base/day.h) with an error for people: InvalidArgument
// unless the text is exactly a valid calendar date "YYYY-MM-DD".
absl::StatusOr<DayNumber> ParseDayArg(absl::string_view text);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_CTL_BACKTEST_H_
