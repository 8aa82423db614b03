// The meeting brief of one provider+program (docs/design.md, "Brief, payments
// and backtest"): what a contract manager brings to the monthly meeting with a
// provider, as one JSON value (BuildBriefJson) from which the HTML page and the
// Markdown text are rendered (brief_render.h), by the daemon and by
// `outcomesctl brief` alike.
//
// This layer takes plain inputs: the caller (daemon/http) gathers the
// figures, the goal results of the daemon's own evaluator (EvaluateGoals),
// the alerts and the payment lines. Nothing here reads state or a clock.
//
// JSON keys (contract, docs/design.md, "Brief, payments and backtest"):
// provider, program, as_of, period {kind, current {start, end}, previous
// {start, end}} (days, both ends included), funnel {current, previous} (events
// per type with day in the period; current up to as_of), goals [{contract,
// goal, metric, window, value, target, status, sample_size, rank, of}], alerts
// [{alertname, goal, state, since}], stalled_referrals, payments, groups. Also:
// funnel_complete, trend, stalled_priority_referrals, window, priority_share,
// creaming_ratio, days_to_enroll, points_to_discuss; goals carry direction,
// sample_unit and explanation, and dimension/group for group_rate_ratio;
// ready (BriefInputs::ready).
//
// Thread safety: pure functions.
#ifndef OUTCOMESD_DAEMON_BRIEF_BRIEF_H_
#define OUTCOMESD_DAEMON_BRIEF_BRIEF_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "daemon/alerts/goal_evaluator.h"
#include "daemon/base/calendar_period.h"
#include "daemon/base/day.h"
#include "daemon/base/json.h"
#include "daemon/rules/goal_spec.h"
#include "daemon/rules/payments.h"
#include "daemon/state/figures.h"
#include "daemon/state/partition_state.h"

namespace outcomes {

// A pending or firing alert of the provider+program.
struct BriefAlert {
  std::string alertname;
  std::string goal;
  std::string state;  // "pending" | "firing"
  absl::Time since;   // pending since / firing since
};

// The funnel of one period: events per type with day in [start, min(end,
// as_of)]. Incomplete when the period starts before the oldest day kept.
struct PeriodFunnel {
  Period period;
  EventCounts events = {};
  bool complete = true;
};

struct BriefInputs {
  std::string provider;
  std::string program;
  DayNumber as_of = 0;
  PeriodKind kind = PeriodKind::kMonth;
  // Oldest first; back() is the current period, the one before it the
  // previous. REQUIRES: at least two.
  std::vector<PeriodFunnel> funnels;
  // The provider+program's figures as of as_of. Borrowed.
  const ProgramFigures* figures = nullptr;
  // The rules whose contracts on the program apply to the provider.
  // Borrowed; `results` point into it.
  const RuleSet* rules = nullptr;
  // EvaluateGoals(*rules, figures of every provider of the program): the
  // provider's results and the others' (for ranks).
  std::vector<GoalResult> results;
  std::vector<BriefAlert> alerts;
  std::vector<PaymentLine> payments;
  int enroll_within_days = 14;  // M, for sentences
  // False when the provider's partition is not ready (state being rebuilt
  // after a restart or rebalance, or not caught up once since) or the
  // daemon is not (docs/design.md, "Readiness"): its figures may be partial
  // counts, so none of its goals is judged or ranked ("not_judged", value
  // and rank null, whatever `results` hold for it) and the brief says so
  // ("ready": false, and first of points_to_discuss).
  bool ready = true;
};

// REQUIRES: figures and rules set, funnels.size() >= 2.
Json BuildBriefJson(const BriefInputs& in);

// The payments array, one object per line (PaymentLines of the provider's
// contracts on the program): {contract, component, period {start, end},
// current (false: the previous period), units, priority_units, earned,
// maximum (null: uncapped rate card), projected_units (current only)}.
Json PaymentsJson(const std::vector<PaymentLine>& lines);

// The brief's rank of `value` among `values` (all judged providers' values,
// `value` included): 1 + how many are strictly better (higher for a min
// goal, lower for a max goal). Ties share a rank.
int RankAmong(double value, const std::vector<double>& values, bool is_min);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_BRIEF_BRIEF_H_
