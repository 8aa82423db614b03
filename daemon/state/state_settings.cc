#include "daemon/state/state_settings.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace outcomes {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

absl::Status ValidateWindows(const StateSettings& s) {
  if (s.windows_days.empty()) return Invalid("windows", "must not be empty");
  absl::flat_hash_set<int> seen;
  for (int n : s.windows_days) {
    if (n < 1) return Invalid("windows", "each window must be >= 1d");
    if (!seen.insert(n).second) {
      return Invalid("windows", absl::StrCat("duplicate window ", n, "d"));
    }
    if (s.enroll_within_days + n >= s.horizon_days) {
      return Invalid(
          "windows",
          absl::StrCat("enroll_within (", s.enroll_within_days, "d) + window (",
                       n, "d) must be below the horizon (", s.horizon_days,
                       "d)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateDimensions(const StateSettings& s) {
  if (s.dimensions.size() > static_cast<size_t>(kMaxDimensions)) {
    return Invalid("dimensions", absl::StrCat("at most ", kMaxDimensions));
  }
  absl::flat_hash_set<std::string> seen;
  for (const std::string& d : s.dimensions) {
    if (d.empty()) return Invalid("dimensions", "empty dimension name");
    if (!seen.insert(d).second) {
      return Invalid("dimensions", absl::StrCat("duplicate dimension ", d));
    }
  }
  if (s.max_groups_per_dimension < 1 ||
      s.max_groups_per_dimension > kMaxGroupsPerDimension) {
    return Invalid("max_groups_per_dimension",
                   absl::StrCat("must be 1..", kMaxGroupsPerDimension));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateStateSettings(const StateSettings& s) {
  if (s.horizon_days < 2 || s.horizon_days > kMaxHorizonDays) {
    return Invalid("horizon",
                   absl::StrCat("must be 2..", kMaxHorizonDays, " days"));
  }
  if (s.enroll_within_days < 0) {
    return Invalid("enroll_within", "must be >= 0 days");
  }
  if (s.min_cell < 1) return Invalid("min_cell", "must be >= 1");
  if (absl::Status st = ValidateWindows(s); !st.ok()) return st;
  return ValidateDimensions(s);
}

std::string WindowLabel(int days) { return absl::StrCat(days, "d"); }

}  // namespace outcomes
