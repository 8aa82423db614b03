// Words and numbers of the meeting brief, shared by BuildBriefJson and the
// HTML and Markdown renderers: how a goal's value is written, and the
// "points to discuss" sentences.
//
// Thread safety: pure functions.
#ifndef OUTCOMESD_DAEMON_BRIEF_BRIEF_TEXT_H_
#define OUTCOMESD_DAEMON_BRIEF_BRIEF_TEXT_H_

#include <string>
#include <string_view>

#include "daemon/base/json.h"

namespace outcomes {

// A goal metric's value as people read it: proportions (enrollment_rate,
// completion_rate, priority_share) as "45.7%", counts as "17", other values
// with up to two decimals ("0.82"); "n/a" for null.
std::string FormatGoalValue(std::string_view metric, const Json& value);

// A rate object {"value", "numerator", "denominator"} as "45.7% (9 of 20)",
// or "n/a (0 of 0)".
std::string FormatRate(const Json& rate);

// The explanation of a goal not judged because the provider's figures are
// not ready (BriefInputs::ready).
inline constexpr char kFiguresNotReady[] =
    "figures not ready yet: state is being rebuilt";

// When the brief says "ready": false, only a sentence saying its figures
// are not ready yet and nothing is judged or ranked. Else one plain
// sentence (or two) per goal in shortfall, then one about stalled
// priority-population referrals when there are any. `brief` is the brief
// JSON without points_to_discuss; `enroll_within_days` is M.
Json PointsToDiscuss(const Json& brief, int enroll_within_days);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_BRIEF_BRIEF_TEXT_H_
