// Replays events into a real PartitionState and judges every goal with the
// daemon's evaluator (daemon/alerts/goal_evaluator.h) and alert lifecycle
// (daemon/alerts/alert_lifecycle.h) on a fake clock: the engine shared by
// `outcomesctl test rules` (rule_tester.h) and `outcomesctl backtest`
// (backtest.h), so neither has a judgement of its own.
//
// Ownership: borrows `rules`, which must outlive the replay.
// Thread safety: none; use from one thread.
#ifndef OUTCOMESD_DAEMON_CTL_GOAL_REPLAY_H_
#define OUTCOMESD_DAEMON_CTL_GOAL_REPLAY_H_

#include <vector>

#include "absl/time/time.h"
#include "daemon/alerts/alert_lifecycle.h"
#include "daemon/alerts/goal_evaluator.h"
#include "daemon/base/clock.h"
#include "daemon/base/day.h"
#include "daemon/rules/goal_spec.h"
#include "daemon/state/partition_state.h"
#include "daemon/state/state_settings.h"
#include "outcomes/v1/event.pb.h"

namespace outcomes {

class GoalReplay {
 public:
  // REQUIRES: ValidateStateSettings(settings).ok(). The clock starts at
  // `start`.
  GoalReplay(const StateSettings& settings, const RuleSet& rules,
             absl::Time start);

  // Counts `event` (validated and deduplicated; `day` its occurred_at's day)
  // as known on `today`: like the daemon's too_old rejection, an event of
  // age >= horizon is not counted. Returns whether it was counted.
  bool Apply(const v1::ServiceEvent& event, DayNumber day, DayNumber today);

  // Like the daemon's retention check (docs/design.md, "State through restarts,
  // rebalances and faults"): figures that read days before `day` are
  // incomplete, so their goals are not judged. Default: no such day (the
  // history is complete).
  void SetHistoryFrom(DayNumber day) { history_from_ = day; }

  // One evaluation at `now` with the figures of `today`: frees state past the
  // horizon, computes the figures, judges every goal and updates the alert
  // lifecycle. The results point into the borrowed RuleSet.
  const std::vector<GoalResult>& Evaluate(absl::Time now, DayNumber today);

  // The alert instances after the last Evaluate (AlertLifecycle::Instances).
  std::vector<AlertInstance> Instances() const {
    return lifecycle_.Instances();
  }
  const std::vector<GoalResult>& results() const { return results_; }
  // The replayed state (payment checks ask it for units).
  const PartitionState& state() const { return state_; }

 private:
  const RuleSet& rules_;
  const EvaluatorSettings evaluator_;
  PartitionState state_;
  FakeClock clock_;
  AlertLifecycle lifecycle_;
  DayNumber history_from_ = INT32_MIN;
  std::vector<GoalResult> results_;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_CTL_GOAL_REPLAY_H_
