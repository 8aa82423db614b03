#include "daemon/brief/brief_text.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace outcomes {
namespace {

bool IsProportion(std::string_view metric) {
  return metric == "enrollment_rate" || metric == "completion_rate" ||
         metric.starts_with("priority_share");
}

bool IsCount(std::string_view metric) {
  return metric.starts_with("window_events") || metric == "stalled_referrals" ||
         metric.starts_with("days_to_enroll");
}

std::string Trimmed(double v) {
  std::string s = absl::StrFormat("%.2f", v);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

std::string FormatGoalValue(std::string_view metric, const Json& value) {
  if (!value.is_number()) return "n/a";
  const double v = value.get<double>();
  if (IsProportion(metric)) return absl::StrFormat("%.1f%%", v * 100);
  if (IsCount(metric) && v == std::floor(v)) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  return Trimmed(v);
}

std::string FormatRate(const Json& rate) {
  const Json& v = rate.at("value");
  const std::string value =
      v.is_number() ? absl::StrFormat("%.1f%%", v.get<double>() * 100) : "n/a";
  return absl::StrCat(value, " (", rate.at("numerator").get<int64_t>(), " of ",
                      rate.at("denominator").get<int64_t>(), ")");
}

Json PointsToDiscuss(const Json& brief, int enroll_within_days) {
  Json points = Json::array();
  if (!brief.value("ready", true)) {
    points.push_back(absl::StrCat(
        "The figures of ", brief.at("provider").get<std::string>(),
        " are not ready yet: its state is still being rebuilt after a restart "
        "or rebalance, so they may be partial counts. No goal is judged or "
        "ranked in this brief; ask for it again in a few minutes."));
    return points;  // the sentences below would read the partial counts
  }
  for (const Json& g : brief.at("goals")) {
    if (g.at("status") != "shortfall") continue;
    const std::string metric = g.at("metric").get<std::string>();
    const bool is_min = g.at("direction") == "min";
    std::string subject = g.at("goal").get<std::string>();
    if (g.contains("group")) {
      absl::StrAppend(&subject, " for ", g.at("dimension").get<std::string>(),
                      " ", g.at("group").get<std::string>());
    }
    std::string text = absl::StrCat(
        "Goal ", subject, " (", g.at("contract").get<std::string>(),
        ") is in shortfall: ", metric, " is ",
        FormatGoalValue(metric, g.at("value")), ", ",
        is_min ? "below the minimum of " : "above the maximum of ",
        FormatGoalValue(metric, g.at("target")), ".");
    const std::string explanation = g.at("explanation").get<std::string>();
    if (!explanation.empty()) absl::StrAppend(&text, " ", explanation);
    points.push_back(std::move(text));
  }
  const int64_t stalled = brief.at("stalled_referrals").get<int64_t>();
  const int64_t priority =
      brief.at("stalled_priority_referrals").get<int64_t>();
  if (priority > 0) {
    points.push_back(
        absl::StrCat(priority, " of the ", stalled, " referrals older than ",
                     enroll_within_days, " days that are not enrolled are ",
                     "priority-population clients: what stands in their way?"));
  }
  return points;
}

}  // namespace outcomes
