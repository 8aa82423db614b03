#include "daemon/payment_report.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "daemon/base/json.h"
#include "daemon/rules/payments_json.h"

namespace outcomes {
namespace {

prometheus::MetricFamily Family(const char* name, const char* help) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = prometheus::MetricType::Gauge;
  return f;
}

}  // namespace

PaymentReport::PaymentReport(const StateStore& store, RulesSource rules)
    : store_(store), rules_(std::move(rules)) {}

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
  absl::MutexLock lock(&mu_);
  latest_ = std::move(result);
}

std::shared_ptr<const PaymentReport::Result> PaymentReport::Latest() const {
  absl::MutexLock lock(&mu_);
  return latest_;
}

std::optional<std::vector<PaymentLine>> PaymentReport::LinesOf(
    const std::string& provider, const std::string& program, DayNumber day,
    const RuleSet* rules) const {
  const std::shared_ptr<const Result> result = Latest();
  if (result == nullptr || result->day != day || result->rules.get() != rules) {
    return std::nullopt;
  }
  std::vector<PaymentLine> out;
  for (const auto& [contract, providers] : result->contracts) {
    if (!contract->AppliesTo(provider, program)) continue;
    // CollectPayments sorts by provider.
    const auto it =
        std::lower_bound(providers.begin(), providers.end(), provider,
                         [](const ProviderPayments& p, const std::string& id) {
                           return p.provider < id;
                         });
    if (it == providers.end() || it->provider != provider) continue;
    out.insert(out.end(), it->lines.begin(), it->lines.end());
  }
  return out;
}

std::vector<prometheus::MetricFamily> PaymentReport::Collect() const {
  const std::shared_ptr<const Result> result = Latest();
  if (result == nullptr) return {};
  prometheus::MetricFamily units =
      Family("outcomes_payment_units",
             "Units of an outcome payment component in the current or previous "
             "contract period (clients or events; docs/design.md).");
  prometheus::MetricFamily earned = Family(
      "outcomes_payment_earned",
      "Amount earned by a provider for an outcome payment component in the "
      "current or previous contract period (currency units).");
  // One series per label set; a repeated one takes the last line's value.
  absl::flat_hash_map<std::string, size_t> index;
  for (const auto& [contract, providers] : result->contracts) {
    for (const ProviderPayments& p : providers) {
      for (const PaymentLine& line : p.lines) {
        const char* period = line.current ? "current" : "previous";
        auto [it, added] = index.try_emplace(
            absl::StrCat(line.contract, "\x1f", line.provider, "\x1f",
                         line.program, "\x1f", line.component, "\x1f", period),
            units.metric.size());
        if (added) {
          // Labels sorted by name, as the text format lists them.
          const std::vector<prometheus::ClientMetric::Label> labels = {
              {"component", line.component},
              {"contract", line.contract},
              {"period", period},
              {"program", line.program},
              {"provider", line.provider}};
          units.metric.emplace_back().label = labels;
          earned.metric.emplace_back().label = labels;
        }
        units.metric[it->second].gauge.value = static_cast<double>(line.units);
        earned.metric[it->second].gauge.value = line.earned;
      }
    }
  }
  if (units.metric.empty()) return {};
  std::vector<prometheus::MetricFamily> out;
  out.push_back(std::move(units));
  out.push_back(std::move(earned));
  return out;
}

absl::StatusOr<std::string> PaymentReport::Json(
    const std::string& contract) const {
  std::shared_ptr<const Result> result = Latest();
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
