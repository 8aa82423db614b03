// Output and date parsing of `outcomesctl backtest` (backtest.h).
#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "daemon/ctl/backtest.h"

namespace outcomes {
namespace {

constexpr size_t kListedProviders = 8;

std::string Affected(const std::set<std::string>& providers) {
  std::vector<std::string> shown;
  for (const std::string& p : providers) {
    if (shown.size() == kListedProviders) {
      shown.push_back("...");
      break;
    }
    shown.push_back(p);
  }
  if (shown.empty()) return "0";
  return absl::StrCat(providers.size(), " (", absl::StrJoin(shown, " "), ")");
}

}  // namespace

Json TransitionJson(const AlertTransition& t) {
  auto label = [&t](const char* name) {
    auto it = t.labels.find(name);
    return it == t.labels.end() ? std::string() : it->second;
  };
  Json j = Json::object();
  j["day"] = FormatDay(t.day);
  for (const char* name :
       {"alertname", "contract", "provider", "program", "goal"}) {
    j[name] = label(name);
  }
  j["state"] = AlertPhaseName(t.state);
  j["value"] = JsonNumberOrNull(t.value);
  j["target"] = t.target;
  for (const char* name : {"dimension", "group"}) {
    if (t.labels.contains(name)) j[name] = label(name);
  }
  return j;
}

std::string SummaryTable(const BacktestReport& report) {
  std::vector<std::vector<std::string>> rows = {
      {"contract", "goal", "alerts fired", "provider-days firing",
       "providers judged", "providers affected"}};
  for (const GoalSummary& g : report.goals) {
    rows.push_back({g.contract, g.goal, absl::StrCat(g.alerts_fired),
                    absl::StrCat(g.provider_days_firing),
                    absl::StrCat(g.providers_judged.size()),
                    Affected(g.providers_affected)});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  }
  std::string out =
      absl::StrFormat("backtest %s .. %s (%d days), %d events counted\n",
                      FormatDay(report.from), FormatDay(report.to),
                      report.to - report.from + 1, report.events_counted);
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      const bool last = i + 1 == row.size();
      absl::StrAppend(
          &line, row[i],
          last ? "" : std::string(width[i] - row[i].size() + 2, ' '));
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

absl::StatusOr<DayNumber> ParseDayArg(absl::string_view text) {
  std::optional<DayNumber> day =
      ParseDay(std::string_view(text.data(), text.size()));
  if (!day.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a date of the form YYYY-MM-DD"));
  }
  return *day;
}

}  // namespace outcomes
