#include "daemon/ctl/payment_checks.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "daemon/rules/payments.h"

namespace outcomes {
namespace {

absl::Status Bad(const LineIndex& lines, const std::string& path,
                 absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(
      lines.Error(absl::StrCat(path, ".", field), why));
}

const ContractSpec* FindContract(const RuleSet& rules, const std::string& id) {
  for (const ContractSpec& c : rules.contracts) {
    if (c.id == id && c.payments.has_value()) return &c;
  }
  return nullptr;
}

// Equal up to rounding of the amounts' arithmetic (a cent's millionth).
bool Near(double a, double b) {
  return std::fabs(a - b) <= 1e-6 * std::max(1.0, std::fabs(b));
}

}  // namespace

absl::StatusOr<std::string> RunPaymentCheck(const v1::PaymentCheck& check,
                                            const std::string& path,
                                            const LineIndex& lines,
                                            const RuleSet& rules,
                                            const PartitionState& state,
                                            DayNumber today) {
  const ContractSpec* c = FindContract(rules, check.contract());
  if (c == nullptr) {
    return Bad(lines, path, "contract",
               absl::StrCat("no contract \"", check.contract(),
                            "\" with a payments block"));
  }
  if (check.period() != "current" && check.period() != "previous") {
    return Bad(lines, path, "period", "expected current or previous");
  }
  if (!check.has_exp_units() && !check.has_exp_earned()) {
    return Bad(lines, path, "", "needs exp_units or exp_earned");
  }
  std::vector<UnitCount> counts(2 * c->payments->components.size());
  for (const ProviderUnits& p :
       state.CountUnits(c->program, PaymentQueries(*c->payments, today))) {
    if (p.provider == check.provider()) counts = p.counts;
  }
  const bool current = check.period() == "current";
  for (const PaymentLine& line :
       PaymentLines(*c, check.provider(), today, counts)) {
    if (line.component != check.component() || line.current != current) {
      continue;
    }
    const bool units_ok =
        !check.has_exp_units() || Near(line.units, check.exp_units());
    const bool earned_ok =
        !check.has_exp_earned() || Near(line.earned, check.exp_earned());
    if (units_ok && earned_ok) return std::string();
    return absl::StrCat(
        "  expected: units ",
        check.has_exp_units() ? absl::StrCat(check.exp_units()) : "(any)",
        ", earned ",
        check.has_exp_earned() ? absl::StrCat(check.exp_earned()) : "(any)",
        "\n  got:      units ", line.units, ", earned ", line.earned, "\n");
  }
  return Bad(lines, path, "component",
             absl::StrCat("no component \"", check.component(),
                          "\" in contract \"", check.contract(), "\""));
}

}  // namespace outcomes
