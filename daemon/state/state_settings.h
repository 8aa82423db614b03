// Settings of the partition state and of the figures computed from it
// (docs/design.md, "Parts and layers", §4). A plain struct: built from
// flags/config by main, checked once with ValidateStateSettings, then copied
// into each PartitionState.
//
// Units: every length here is in whole days of the agency time zone.
#ifndef OUTCOMESD_DAEMON_STATE_STATE_SETTINGS_H_
#define OUTCOMESD_DAEMON_STATE_STATE_SETTINGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "daemon/state/client_hash.h"

namespace outcomes {

struct StateSettings {
  // --timezone: decides day boundaries (callers compute DayOf with it).
  absl::TimeZone timezone = absl::UTCTimeZone();
  // --horizon: days kept; an event of age >= horizon_days is gone.
  int horizon_days = 120;
  // --enroll_within (M): a referral matures at age M+1; its client enrolled
  // in time when an enrollment falls on referral day .. referral day + M.
  int enroll_within_days = 14;
  // --windows: window lengths N in days, in export order.
  std::vector<int> windows_days = {7, 30, 90};
  // --min_cell: a subgroup whose denominator is below this is suppressed.
  int min_cell = 11;
  // --dimensions: attribute names that define subgroups.
  std::vector<std::string> dimensions = {"race_ethnicity"};
  // Distinct values kept per dimension and partition; later new values are
  // folded into "no group" and counted (outcomes_group_overflow_total).
  int max_groups_per_dimension = 32;
  // --privacy.key_file: the key of the client_key hashes in funnels and
  // checkpoints (docs/design.md, "Safe to expose"). The default is the public
  // default key; a checkpoint made with another key is not restored (its hashes
  // would not match new events).
  ClientHasher client_hasher;
};

// Limits enforced by ValidateStateSettings.
inline constexpr int kMaxHorizonDays = 4000;
inline constexpr int kMaxDimensions = 8;
inline constexpr int kMaxGroupsPerDimension = 255;

// OK when the settings are usable. Requires, among others, that every
// window N satisfies enroll_within_days + N < horizon_days, so that the
// matured cohort of every window lies inside the horizon.
absl::Status ValidateStateSettings(const StateSettings& settings);

// Label value of a window: 7 -> "7d".
std::string WindowLabel(int days);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_STATE_SETTINGS_H_
