#include "daemon/ctl/goal_replay.h"

#include "daemon/alerts/alert_text.h"

namespace outcomes {

GoalReplay::GoalReplay(const StateSettings& settings, const RuleSet& rules,
                       absl::Time start)
    : rules_(rules),
      evaluator_{settings.enroll_within_days, settings.horizon_days},
      state_(settings),
      clock_(start),
      lifecycle_(AlertLifecycle::Options{}, clock_) {}

bool GoalReplay::Apply(const v1::ServiceEvent& event, DayNumber day,
                       DayNumber today) {
  if (today - day >= state_.settings().horizon_days) return false;
  state_.Apply(event, day);
  return true;
}

const std::vector<GoalResult>& GoalReplay::Evaluate(absl::Time now,
                                                    DayNumber today) {
  clock_.Set(now);
  state_.Evict(today);
  std::vector<ProgramFigures> figures = state_.ComputeFigures(today);
  MarkHistoryFrom(state_.settings().horizon_days,
                  state_.settings().enroll_within_days, today, history_from_,
                  figures);
  results_ = EvaluateGoals(rules_, figures, evaluator_);
  lifecycle_.Update(ShortfallInputs(results_));
  return results_;
}

}  // namespace outcomes
