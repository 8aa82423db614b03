#include "daemon/rules/payments_json.h"

#include "absl/time/civil_time.h"

namespace outcomes {
namespace {

std::string DateOf(DayNumber day) {
  return absl::FormatCivilTime(CivilDayOf(day));
}

Json ProviderJson(const ContractSpec& contract, const ProviderPayments& p) {
  Json components = Json::array();
  for (const PaymentLine& line : p.lines) {
    if (!line.current) continue;
    Json c = Json::object();
    c["component"] = line.component;
    for (const PaymentComponentSpec& spec : contract.payments->components) {
      if (spec.name == line.component) {
        c["unit"] = spec.per_client ? "client" : "event";
      }
    }
    c["current"] = PaymentPeriodJson(line);
    for (const PaymentLine& prev : p.lines) {
      if (!prev.current && prev.component == line.component) {
        c["previous"] = PaymentPeriodJson(prev);
      }
    }
    components.push_back(std::move(c));
  }
  Json out = Json::object();
  out["provider"] = p.provider;
  out["ready"] = p.ready;
  out["complete"] = p.complete;
  out["components"] = std::move(components);
  return out;
}

}  // namespace

Json PaymentPeriodJson(const PaymentLine& line) {
  Json out = Json::object();
  out["start"] = DateOf(line.period.start);
  out["end"] = DateOf(line.period.end);
  out["units"] = line.units;
  out["priority_units"] = line.priority_units;
  out["earned"] = line.earned;
  out["maximum"] = JsonNumberOrNull(line.maximum);
  if (line.current) {
    out["projected_units"] = JsonNumberOrNull(line.projected_units);
  }
  return out;
}

Json ContractPaymentsJson(const ContractSpec& contract,
                          const std::vector<ProviderPayments>& providers) {
  Json out = Json::object();
  out["contract"] = contract.id;
  out["program"] = contract.program;
  out["period"] =
      contract.payments->period == PeriodKind::kMonth ? "month" : "quarter";
  out["amount"] = contract.payments->amount;
  Json list = Json::array();
  for (const ProviderPayments& p : providers) {
    list.push_back(ProviderJson(contract, p));
  }
  out["providers"] = std::move(list);
  return out;
}

}  // namespace outcomes
