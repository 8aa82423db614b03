// Calendar periods: months and quarters of the agency's calendar
// (--timezone), as inclusive day ranges. The one definition the meeting
// brief and outcome payments share.
//
// Thread safety: pure functions.
#ifndef OUTCOMESD_DAEMON_BASE_CALENDAR_PERIOD_H_
#define OUTCOMESD_DAEMON_BASE_CALENDAR_PERIOD_H_

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
  int days() const { return end - start + 1; }
  bool operator==(const Period&) const = default;
};

// The period of `kind` holding `day`.
Period PeriodOf(PeriodKind kind, DayNumber day);
// The period just before `p` (REQUIRES: p came from PeriodOf).
inline Period PreviousPeriod(PeriodKind kind, const Period& p) {
  return PeriodOf(kind, p.start - 1);
}

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_BASE_CALENDAR_PERIOD_H_
