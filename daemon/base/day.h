// Calendar days in the agency's time zone. Every figure in outcomesd is
// computed on whole days (DESIGN.md §4): an event's *day* is the calendar day
// of its occurred_at in --timezone; its *age* is today's day minus its day.
#ifndef OUTCOMESD_DAEMON_BASE_DAY_H_
#define OUTCOMESD_DAEMON_BASE_DAY_H_

#include <cstdint>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace outcomes {

// Days since 1970-01-01 in the agency time zone. Fits comfortably in int32.
using DayNumber = int32_t;

inline DayNumber DayOf(absl::Time t, const absl::TimeZone& tz) {
  return static_cast<DayNumber>(absl::ToCivilDay(t, tz) -
                                absl::CivilDay(1970, 1, 1));
}

inline absl::CivilDay CivilDayOf(DayNumber day) {
  return absl::CivilDay(1970, 1, 1) + day;
}

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_BASE_DAY_H_
