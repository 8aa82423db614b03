// Calendar periods of the meeting brief (DESIGN.md §12): months and
// quarters of the agency's calendar (--timezone), as inclusive day ranges.
//
// Thread safety: pure functions.
#ifndef OUTCOMESD_DAEMON_BRIEF_BRIEF_PERIOD_H_
#define OUTCOMESD_DAEMON_BRIEF_BRIEF_PERIOD_H_

#include <optional>
#include <string_view>

#include "daemon/base/day.h"

namespace outcomes {

enum class PeriodKind { kMonth, kQuarter };

// "month" | "quarter"; std::nullopt for anything else.
std::optional<PeriodKind> ParsePeriodKind(std::string_view text);
const char* PeriodKindName(PeriodKind kind);

// Days start .. end, both included.
struct Period {
  DayNumber start = 0;
  DayNumber end = 0;
  bool operator==(const Period&) const = default;
};

// The period of `kind` holding `day`.
Period PeriodOf(PeriodKind kind, DayNumber day);
// The period just before `p` (REQUIRES: p came from PeriodOf).
inline Period PreviousPeriod(PeriodKind kind, const Period& p) {
  return PeriodOf(kind, p.start - 1);
}

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_BRIEF_BRIEF_PERIOD_H_
