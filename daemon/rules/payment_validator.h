// Validation of a contract's payments block (internal to daemon/rules).
// Thread safety: pure function.
#ifndef OUTCOMESD_DAEMON_RULES_PAYMENT_VALIDATOR_H_
#define OUTCOMESD_DAEMON_RULES_PAYMENT_VALIDATOR_H_

#include <string>
#include <vector>

#include "daemon/rules/payment_spec.h"
#include "daemon/rules/rules_loader.h"
#include "daemon/rules/yaml_proto.h"
#include "outcomes/v1/rules.pb.h"

namespace outcomes {

// Checks `payments` (written at field path `path`, e.g.
// "contracts[0].payments"); appends "file:line: path.field: why" messages
// to *errors. Among the rules: shares sum to at most 1; each component has
// either share + target or price; and both periods reported (the current
// and the previous one) lie within settings.horizon_days. Returns the spec;
// meaningful only when no error was appended.
PaymentSpec ValidatePayments(const v1::Payments& payments,
                             const std::string& path, const LineIndex& lines,
                             const RuleSettings& settings,
                             std::vector<std::string>* errors);

// Days of history the current and the previous period of `period` need at
// most: 62 for months (July and August), 184 for quarters.
int PaymentHorizonDays(PeriodKind period);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_RULES_PAYMENT_VALIDATOR_H_
