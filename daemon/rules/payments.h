// Outcome payment amounts (docs/design.md, "Brief, payments and backtest"
// "Outcome payments"): calendar periods, the unit queries a contract's
// components need, and what each provider earns per component and period.
// Counting rules: daemon/state/PAYMENT_RULES.md.
//
// PaymentLines is a pure function from a contract, a day and unit counts to
// plain lines {contract, provider, program, component, period, start, end,
// units, earned, maximum, projected_units}, the shape the JSON API, the
// gauges and the meeting brief use. CollectPayments gathers the counts
// from a StateStore and calls it for every provider of the contract.
//
// Thread safety: pure functions (CollectPayments: as StateStore).
#ifndef OUTCOMESD_DAEMON_RULES_PAYMENTS_H_
#define OUTCOMESD_DAEMON_RULES_PAYMENTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/base/calendar_period.h"
#include "daemon/base/day.h"
#include "daemon/base/partition_id.h"
#include "daemon/rules/goal_spec.h"
#include "daemon/rules/payment_spec.h"
#include "daemon/state/payment_log.h"
#include "daemon/state/state_store.h"

namespace outcomes {

// The unit queries of `spec` as of `today`: for component i, query 2i
// counts the current period up to today, query 2i+1 the previous period.
std::vector<UnitQuery> PaymentQueries(const PaymentSpec& spec, DayNumber today);

// What `units` earn: share components share x amount x min(1, units /
// target); rate cards price x (units + priority_premium x priority units),
// at most cap.
double EarnedOf(const PaymentComponentSpec& c, double amount,
                const UnitCount& units);
// The most a component can earn in a period: share x amount, or the cap
// (nullopt: a rate card without cap).
std::optional<double> MaximumOf(const PaymentComponentSpec& c, double amount);

struct PaymentLine {
  std::string contract;
  std::string provider;
  std::string program;
  std::string component;
  bool current = true;  // period label: current | previous
  Period period;
  int64_t units = 0;
  int64_t priority_units = 0;
  double earned = 0;
  std::optional<double> maximum;
  // Current period only: units / elapsed days x period days.
  std::optional<double> projected_units;
  bool operator==(const PaymentLine&) const = default;
};

// The lines of one provider of `contract` (which must have payments):
// per component, the current then the previous period. `counts` answers
// PaymentQueries(*contract.payments, today).
std::vector<PaymentLine> PaymentLines(const ContractSpec& contract,
                                      const std::string& provider,
                                      DayNumber today,
                                      const std::vector<UnitCount>& counts);

// The payments of one provider of a contract, and its partition's state.
struct ProviderPayments {
  std::string provider;
  PartitionId partition;
  bool ready = true;     // PartitionUnits::ready
  bool complete = true;  // the partition's history covers both periods
  std::vector<PaymentLine> lines;
};

// PaymentLines for every provider of `contract` (its providers list, or
// every provider of its program with state), sorted by provider. A
// provider held by two partitions (a keying error) counts in the first.
std::vector<ProviderPayments> CollectPayments(const ContractSpec& contract,
                                              const StateStore& store,
                                              DayNumber today);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_RULES_PAYMENTS_H_
