// Validation of one goal of a rule file (internal to daemon/rules).
// Thread safety: pure function.
#ifndef OUTCOMESD_DAEMON_RULES_GOAL_VALIDATOR_H_
#define OUTCOMESD_DAEMON_RULES_GOAL_VALIDATOR_H_

#include <string>
#include <vector>

#include "daemon/rules/goal_spec.h"
#include "daemon/rules/rules_loader.h"
#include "daemon/rules/yaml_proto.h"
#include "outcomes/v1/rules.pb.h"

namespace outcomes {

// Checks `goal` (written at field path `path`, e.g. "contracts[0].goals[2]")
// of `contract`; appends "file:line: path.field: why" messages to *errors.
// Returns the spec; it is meaningful only when no error was appended.
GoalSpec ValidateGoal(const v1::Goal& goal, const v1::Contract& contract,
                      const std::string& path, const LineIndex& lines,
                      const RuleSettings& settings,
                      std::vector<std::string>* errors);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_RULES_GOAL_VALIDATOR_H_
