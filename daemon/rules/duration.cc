#include "daemon/rules/duration.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace outcomes {
namespace {

struct Unit {
  absl::string_view name;
  absl::Duration size;
  int rank;  // 0 = largest; units must come in increasing rank
};

// Longest names first so that "ms" is not read as "m".
constexpr int kNumUnits = 6;
const Unit* Units() {
  static const Unit kUnits[kNumUnits] = {
      {"ms", absl::Milliseconds(1), 5}, {"w", absl::Hours(24 * 7), 0},
      {"d", absl::Hours(24), 1},        {"h", absl::Hours(1), 2},
      {"m", absl::Minutes(1), 3},       {"s", absl::Seconds(1), 4}};
  return kUnits;
}

absl::Status Bad(absl::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid duration \"", text,
                   "\" (expected e.g. \"0s\", \"15m\", \"1d\", \"1h30m\")"));
}

}  // namespace

absl::StatusOr<absl::Duration> ParseDurationSpec(absl::string_view text) {
  if (text.empty()) return Bad(text);
  absl::Duration total;
  int last_rank = -1;
  size_t i = 0;
  while (i < text.size()) {
    const size_t digits_start = i;
    int64_t n = 0;
    while (i < text.size() && absl::ascii_isdigit(text[i])) {
      if (n > 1000000000) return Bad(text);
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    if (i == digits_start) return Bad(text);
    const Unit* unit = nullptr;
    for (int u = 0; u < kNumUnits; ++u) {
      if (text.substr(i, Units()[u].name.size()) == Units()[u].name) {
        unit = &Units()[u];
        break;
      }
    }
    if (unit == nullptr || unit->rank <= last_rank) return Bad(text);
    last_rank = unit->rank;
    i += unit->name.size();
    total += n * unit->size;
  }
  return total;
}

std::string FormatDurationSpec(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return "0s";
  std::string out;
  for (int u = 1; u < kNumUnits; ++u) {  // w, d, h, m, s
    const Unit& unit = Units()[u];
    const int64_t n = absl::IDivDuration(d, unit.size, &d);
    if (n > 0) absl::StrAppend(&out, n, unit.name);
  }
  const int64_t ms = absl::ToInt64Milliseconds(d);
  if (ms > 0) absl::StrAppend(&out, ms, "ms");
  return out;
}

}  // namespace outcomes
