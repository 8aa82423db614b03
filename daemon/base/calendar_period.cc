#include "daemon/base/calendar_period.h"

namespace outcomes {
namespace {

DayNumber DayOfCivil(absl::CivilDay d) {
  return static_cast<DayNumber>(d - absl::CivilDay(1970, 1, 1));
}

}  // namespace

std::optional<PeriodKind> ParsePeriodKind(std::string_view text) {
  if (text == "month") return PeriodKind::kMonth;
  if (text == "quarter") return PeriodKind::kQuarter;
  return std::nullopt;
}

const char* PeriodKindName(PeriodKind kind) {
  return kind == PeriodKind::kMonth ? "month" : "quarter";
}

Period PeriodOf(PeriodKind kind, DayNumber day) {
  const absl::CivilDay d = CivilDayOf(day);
  int first_month = d.month();
  int months = 1;
  if (kind == PeriodKind::kQuarter) {
    first_month = (d.month() - 1) / 3 * 3 + 1;
    months = 3;
  }
  const absl::CivilMonth start(d.year(), first_month);
  const absl::CivilMonth next = start + months;
  return Period{DayOfCivil(absl::CivilDay(start)),
                DayOfCivil(absl::CivilDay(next)) - 1};
}

}  // namespace outcomes
