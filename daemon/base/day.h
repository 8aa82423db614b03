// Calendar days in the agency's time zone. Every figure in outcomesd is
// computed on whole days (docs/metrics.md): an event's *day* is the calendar
// day of its occurred_at in --timezone; its *age* is today's day minus its day.
#ifndef OUTCOMESD_DAEMON_BASE_DAY_H_
#define OUTCOMESD_DAEMON_BASE_DAY_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

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

// "YYYY-MM-DD".
inline std::string FormatDay(DayNumber day) {
  const absl::CivilDay d = CivilDayOf(day);
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", static_cast<int>(d.year()),
                d.month(), d.day());
  return buf;
}

// A day written exactly as "YYYY-MM-DD" (a real calendar date);
// std::nullopt for anything else.
inline std::optional<DayNumber> ParseDay(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-')
    return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const auto number = [text](size_t at, size_t n) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  const absl::CivilDay d(number(0, 4), number(5, 2), number(8, 2));
  const auto day = static_cast<DayNumber>(d - absl::CivilDay(1970, 1, 1));
  // CivilDay normalizes (2026-02-30 is 2026-03-02): not a real date then.
  if (FormatDay(day) != text) return std::nullopt;
  return day;
}

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_BASE_DAY_H_
