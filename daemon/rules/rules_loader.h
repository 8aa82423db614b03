// Loading and validating contract goal files (docs/goals.md).
//
// LoadRules reads every file (YAML, strict: daemon/rules/yaml_proto.h),
// validates every contract and goal, and returns plain GoalSpecs. Every
// problem is reported, one per line, as "file:line: field.path: why", e.g.
//   rules/workforce.yaml:21: contracts[0].goals[3].window: "45d" is not one
//   of the daemon's windows (7d, 30d, 90d)
// Nothing is returned unless every file is valid, so a reload either
// replaces the whole rule set or keeps the old one.
//
// Thread safety: pure functions (they read files).
#ifndef OUTCOMESD_DAEMON_RULES_RULES_LOADER_H_
#define OUTCOMESD_DAEMON_RULES_RULES_LOADER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/rules/goal_spec.h"
#include "daemon/rules/yaml_proto.h"
#include "outcomes/v1/rules.pb.h"

namespace outcomes {

// What the daemon computes, which the goals must refer to.
struct RuleSettings {
  std::vector<int> windows_days = {7, 30, 90};  // --windows
  // --dimensions; a group_rate_ratio goal must use one of them. Empty =
  // any dimension is accepted.
  std::vector<std::string> dimensions = {"race_ethnicity"};
  // --horizon: a payments block's current and previous period must lie
  // within it (PaymentHorizonDays).
  int horizon_days = 120;
};

// Expands `paths`: a file is taken as is; a directory contributes its
// *.yaml and *.yml files (not recursive, so rules/tests/ is not read by
// --rules=rules). Sorted, without duplicates. NotFound for a missing path,
// InvalidArgument when nothing is found.
absl::StatusOr<std::vector<std::string>> CollectRuleFiles(
    const std::vector<std::string>& paths);

// Loads and validates all rule files of `paths`. Contract ids must be unique
// across files. InvalidArgument listing every error.
absl::StatusOr<RuleSet> LoadRules(const std::vector<std::string>& paths,
                                  const RuleSettings& settings);

// Validates one parsed file; appends its contracts to *out and returns the
// errors (empty = valid). `lines` maps field paths to lines of the file.
std::vector<std::string> ValidateRuleFile(const v1::RuleFile& file,
                                          const LineIndex& lines,
                                          const RuleSettings& settings,
                                          std::vector<ContractSpec>* out);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_RULES_RULES_LOADER_H_
