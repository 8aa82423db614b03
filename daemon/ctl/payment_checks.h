// The payment checks of `outcomesctl test rules` (v1::PaymentCheck in
// rules.proto): at an eval_time, the units and amount earned by one
// provider for one component of a contract's payments, in the current or
// previous period, computed with the daemon's own counting
// (PartitionState::CountUnits) and amounts (daemon/rules/payments.h).
//
// Thread safety: pure functions.
#ifndef OUTCOMESD_DAEMON_CTL_PAYMENT_CHECKS_H_
#define OUTCOMESD_DAEMON_CTL_PAYMENT_CHECKS_H_

#include <string>

#include "absl/status/status.h"
#include "daemon/base/day.h"
#include "daemon/rules/goal_spec.h"
#include "daemon/rules/yaml_proto.h"
#include "daemon/state/partition_state.h"
#include "outcomes/v1/rules.pb.h"

namespace outcomes {

// Checks `check` (written at field path `path`) against `state` as of
// `today`. Returns "" when it passes, else the failure's text. An error
// in the check itself (unknown contract, component or period, no
// expectation) is InvalidArgument located by `lines`.
absl::StatusOr<std::string> RunPaymentCheck(const v1::PaymentCheck& check,
                                            const std::string& path,
                                            const LineIndex& lines,
                                            const RuleSet& rules,
                                            const PartitionState& state,
                                            DayNumber today);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_CTL_PAYMENT_CHECKS_H_
