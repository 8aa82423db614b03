#include "daemon/payment_report.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "daemon/base/json.h"
#include "daemon/rules/payments_json.h"

namespace outcomes {

PaymentReport::PaymentReport(const StateStore& store, RulesSource rules,
                             prometheus::Registry& registry)
    : store_(store),
      rules_(std::move(rules)),
      units_(registry, "outcomes_payment_units",
             "Units of an outcome payment component in the current or "
             "previous contract period (clients or events; "
             "docs/design.md)."),
      earned_(registry, "outcomes_payment_earned",
              "Amount earned by a provider for an outcome payment component "
              "in the current or previous contract period (currency "
              "units).") {}

void PaymentReport::OnSnapshot(const StoreSnapshot& snapshot) {
  auto result = std::make_shared<Result>();
  result->rules = rules_();
  result->day = snapshot.today;
  if (result->rules != nullptr) {
    for (const ContractSpec& c : result->rules->contracts) {
      if (!c.payments.has_value()) continue;
      result->contracts.emplace_back(
          &c, CollectPayments(c, store_, snapshot.today));
    }
  }
  for (const auto& [contract, providers] : result->contracts) {
    for (const ProviderPayments& p : providers) {
      for (const PaymentLine& line : p.lines) {
        const prometheus::Labels labels{
            {"contract", line.contract},
            {"provider", line.provider},
            {"program", line.program},
            {"component", line.component},
            {"period", line.current ? "current" : "previous"}};
        units_.Set(labels, static_cast<double>(line.units));
        earned_.Set(labels, line.earned);
      }
    }
  }
  units_.Sweep();
  earned_.Sweep();
  absl::MutexLock lock(&mu_);
  latest_ = std::move(result);
}

absl::StatusOr<std::string> PaymentReport::Json(
    const std::string& contract) const {
  std::shared_ptr<const Result> result;
  {
    absl::MutexLock lock(&mu_);
    result = latest_;
  }
  if (result == nullptr) result = std::make_shared<Result>();
  if (!contract.empty()) {
    bool known = false;
    if (result->rules != nullptr) {
      for (const ContractSpec& c : result->rules->contracts) {
        known = known || c.id == contract;
      }
    }
    bool paid = false;
    for (const auto& [c, providers] : result->contracts) {
      paid = paid || c->id == contract;
    }
    if (!known) {
      return absl::NotFoundError(absl::StrCat("unknown contract ", contract));
    }
    if (!paid) {
      return absl::NotFoundError(
          absl::StrCat("contract ", contract, " has no payments block"));
    }
  }
  outcomes::Json list = outcomes::Json::array();
  for (const auto& [c, providers] : result->contracts) {
    if (contract.empty() || c->id == contract) {
      list.push_back(ContractPaymentsJson(*c, providers));
    }
  }
  outcomes::Json out = outcomes::Json::object();
  out["day"] = absl::FormatCivilTime(CivilDayOf(result->day));
  out["contracts"] = std::move(list);
  return DumpJson(out);
}

}  // namespace outcomes
