// The per-provider+program figures of docs/metrics.md, as plain values.
// Produced by PartitionState::ComputeFigures, consumed by the exporter, the
// JSON API and (later) the goal evaluator, which needs the sample sizes.
//
// Every rate carries its numerator and denominator; its value is absent
// (std::nullopt) when the denominator is 0, never NaN. No figure refers to
// a client.
#ifndef OUTCOMESD_DAEMON_STATE_FIGURES_H_
#define OUTCOMESD_DAEMON_STATE_FIGURES_H_

#include <array>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "daemon/state/event_kind.h"

namespace outcomes {

struct Rate {
  int64_t numerator = 0;
  int64_t denominator = 0;  // the sample size
  std::optional<double> value() const {
    if (denominator == 0) return std::nullopt;
    return static_cast<double>(numerator) / static_cast<double>(denominator);
  }
  bool operator==(const Rate&) const = default;
};

// One subgroup's rate (group_rate). When `suppressed`, the rate must not be
// shown or exported in any form (small-cell rules, FUNNEL_RULES.md).
struct GroupRate {
  std::string dimension;
  std::string group;
  Rate rate;
  bool suppressed = false;
  bool operator==(const GroupRate&) const = default;
};

struct WindowFigures {
  int days = 0;  // window length N
  // outcomes_window_events, indexed by EventKind.
  std::array<int64_t, kNumEventKinds> events = {};
  Rate enrollment_rate;  // matured cohort: referrals of age M+1 .. M+N
  Rate completion_rate;  // completions / (completions + disenrollments)
  // days_to_enroll over enrollments of age 0 .. N-1 with a referral.
  int64_t days_to_enroll_count = 0;
  std::optional<int> days_to_enroll_p50;
  std::optional<int> days_to_enroll_p90;
  Rate priority_share_referral;
  Rate priority_share_enrollment;
  // Subgroups with a non-zero denominator, ordered by dimension (settings
  // order), then group name.
  std::vector<GroupRate> enrollment_groups;
  std::vector<GroupRate> completion_groups;
  // False when the partition's retained Kafka history does not reach back
  // to the first day this window's figures read (docs/design.md, "State through
  // restarts, rebalances and faults": history completeness): the figures
  // undercount, so goals on them are not judged and the JSON API says
  // "complete": false.
  bool complete = true;
  bool operator==(const WindowFigures&) const = default;
};

struct ProgramFigures {
  std::string provider;
  std::string program;
  // Matured referrals within the horizon whose client has no enrollment.
  int64_t stalled_referrals = 0;
  // Of those, referrals of priority clients (non-empty priority_groups).
  int64_t stalled_priority_referrals = 0;
  std::vector<WindowFigures> windows;  // in StateSettings::windows_days order
  // False when the partition's retained history does not cover the whole
  // horizon: stalled_referrals (a horizon-wide figure) is then not judged.
  bool history_complete = true;
  bool operator==(const ProgramFigures&) const = default;
};

// Nearest-rank quantile q = num/den of a histogram (counts[v] = how many
// values equal v): the smallest v with at least q of the values <= v.
// Absent when the histogram is empty.
std::optional<int> NearestRankQuantile(const int64_t* counts, int size,
                                       int64_t total, int num, int den);

// Marks the figures of `today` that read days before `history_from` (the
// first day whose events are all known; docs/design.md, "State through
// restarts, rebalances and faults") incomplete: a window whose enrollment
// cohort (referrals of age M+1 .. M+N, M = `enroll_within_days`) starts
// earlier, and the horizon-wide figures (history_complete) when the horizon
// starts earlier. history_from == INT32_MIN marks nothing.
void MarkHistoryFrom(int horizon_days, int enroll_within_days, int32_t today,
                     int32_t history_from,
                     std::vector<ProgramFigures>& programs);

// Human-readable dumps, for test failure messages and debugging. They print
// suppressed rates too: never send them to an API, log or metric.
std::ostream& operator<<(std::ostream& os, const Rate& r);
std::ostream& operator<<(std::ostream& os, const GroupRate& g);
std::ostream& operator<<(std::ostream& os, const WindowFigures& w);
std::ostream& operator<<(std::ostream& os, const ProgramFigures& p);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_FIGURES_H_
