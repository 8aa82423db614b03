// The JSON of outcome payments (GET /api/v1/payments, docs/design.md, "Brief,
// payments and backtest"):
//
//   {"contract":"wd-2026","program":"workforce","period":"month",
//    "amount":150000,"providers":[{"provider":"acme","ready":true,
//      "complete":true,"components":[{"component":"clients-served",
//        "unit":"client","current":{"start":"2026-03-01","end":"2026-03-31",
//          "units":40,"priority_units":12,"earned":57600,"maximum":144000,
//          "projected_units":82.67},"previous":{...}}]}]}
//
// `maximum` is null for a rate card without cap; `projected_units` appears
// in the current period only. `complete` is false when the partition's
// retained Kafka history does not reach back to the previous period's
// start (its units may be short).
//
// Thread safety: pure functions.
#ifndef OUTCOMESD_DAEMON_RULES_PAYMENTS_JSON_H_
#define OUTCOMESD_DAEMON_RULES_PAYMENTS_JSON_H_

#include <vector>

#include "daemon/base/json.h"
#include "daemon/rules/goal_spec.h"
#include "daemon/rules/payments.h"

namespace outcomes {

// One period of one component: {start, end, units, priority_units, earned,
// maximum[, projected_units]}.
Json PaymentPeriodJson(const PaymentLine& line);

// One contract's payments. REQUIRES: contract.payments.
Json ContractPaymentsJson(const ContractSpec& contract,
                          const std::vector<ProviderPayments>& providers);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_RULES_PAYMENTS_JSON_H_
