// Validated outcome payments of a contract (docs/design.md, "Brief, payments
// and backtest") as plain C++ values, built only by the rules loader
// (payment_validator.h) from the rules.proto Payments message.
//
// Thread safety: immutable values.
#ifndef OUTCOMESD_DAEMON_RULES_PAYMENT_SPEC_H_
#define OUTCOMESD_DAEMON_RULES_PAYMENT_SPEC_H_

#include <optional>
#include <string>
#include <vector>

#include "daemon/base/calendar_period.h"

namespace outcomes {

struct PaymentComponentSpec {
  std::string name;  // label `component`
  // Share component: earned = share x amount x min(1, units / target).
  // Rate card (rate_card): earned = sum over units of price x (1 +
  // priority_premium when a priority unit), at most cap.
  bool rate_card = false;
  double share = 0;
  double target = 0;
  double price = 0;
  double priority_premium = 0;
  std::optional<double> cap;
  // What makes a unit.
  int event_kind = 0;        // EventKind
  std::string outcome_code;  // outcomes only; empty = any
  bool priority_only = false;
  std::optional<double> value_above;  // outcomes only
  bool per_client = true;             // unit: client (else event)
};

struct PaymentSpec {
  PeriodKind period = PeriodKind::kMonth;
  double amount = 0;  // per provider per period, all shares fully earned
  std::vector<PaymentComponentSpec> components;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_RULES_PAYMENT_SPEC_H_
