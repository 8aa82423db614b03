#include "daemon/rules/payments.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"

namespace outcomes {
std::vector<UnitQuery> PaymentQueries(const PaymentSpec& spec,
                                      DayNumber today) {
  const Period current = PeriodOf(spec.period, today);
  const Period previous = PreviousPeriod(spec.period, current);
  std::vector<UnitQuery> out;
  for (const PaymentComponentSpec& c : spec.components) {
    UnitQuery q{c.event_kind,  c.outcome_code, c.priority_only,
                c.value_above, c.per_client,   current.start,
                today};
    out.push_back(q);
    q.from = previous.start;
    q.to = previous.end;
    out.push_back(q);
  }
  return out;
}

double EarnedOf(const PaymentComponentSpec& c, double amount,
                const UnitCount& units) {
  if (!c.rate_card) {
    const double done = static_cast<double>(units.units) / c.target;
    return c.share * amount * std::min(1.0, done);
  }
  const double earned =
      c.price *
      (static_cast<double>(units.units) +
       c.priority_premium * static_cast<double>(units.priority_units));
  return c.cap.has_value() ? std::min(earned, *c.cap) : earned;
}

std::optional<double> MaximumOf(const PaymentComponentSpec& c, double amount) {
  if (!c.rate_card) return c.share * amount;
  return c.cap;
}

std::vector<PaymentLine> PaymentLines(const ContractSpec& contract,
                                      const std::string& provider,
                                      DayNumber today,
                                      const std::vector<UnitCount>& counts) {
  const PaymentSpec& spec = *contract.payments;
  const Period current = PeriodOf(spec.period, today);
  const Period previous = PreviousPeriod(spec.period, current);
  std::vector<PaymentLine> out;
  for (size_t i = 0; i < spec.components.size(); ++i) {
    const PaymentComponentSpec& c = spec.components[i];
    for (int prev = 0; prev < 2; ++prev) {
      const UnitCount& n = counts.at(2 * i + prev);
      PaymentLine line;
      line.contract = contract.id;
      line.provider = provider;
      line.program = contract.program;
      line.component = c.name;
      line.current = prev == 0;
      line.period = prev == 0 ? current : previous;
      line.units = n.units;
      line.priority_units = n.priority_units;
      line.earned = EarnedOf(c, spec.amount, n);
      line.maximum = MaximumOf(c, spec.amount);
      if (line.current) {
        const int elapsed = today - current.start + 1;
        line.projected_units = static_cast<double>(n.units) / elapsed *
                               static_cast<double>(current.days());
      }
      out.push_back(std::move(line));
    }
  }
  return out;
}

std::vector<ProviderPayments> CollectPayments(const ContractSpec& contract,
                                              const StateStore& store,
                                              DayNumber today) {
  std::vector<ProviderPayments> out;
  if (!contract.payments.has_value()) return out;
  const std::vector<UnitQuery> queries =
      PaymentQueries(*contract.payments, today);
  const DayNumber oldest =
      PreviousPeriod(contract.payments->period,
                     PeriodOf(contract.payments->period, today))
          .start;
  absl::flat_hash_set<std::string> seen;
  for (const PartitionUnits& part :
       store.CountUnits(contract.program, queries)) {
    for (const ProviderUnits& p : part.providers) {
      if (!contract.AppliesTo(p.provider, contract.program) ||
          !seen.insert(p.provider).second) {
        continue;
      }
      out.push_back({p.provider, part.id, part.ready,
                     part.history_from <= oldest,
                     PaymentLines(contract, p.provider, today, p.counts)});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.provider < b.provider;
  });
  return out;
}

}  // namespace outcomes
