#include "daemon/brief/brief.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daemon/brief/brief_text.h"
#include "daemon/state/figures_json.h"

namespace outcomes {
namespace {

Json PeriodJson(const Period& p) {
  return Json{{"start", FormatDay(p.start)}, {"end", FormatDay(p.end)}};
}

Json EventsJson(const EventCounts& counts) {
  Json j = Json::object();
  for (int k = 0; k < kNumEventKinds; ++k) {
    j[std::string(kEventKindNames[k])] = counts[k];
  }
  return j;
}

Json RateJson(const Rate& r) {
  return Json{{"value", JsonNumberOrNull(r.value())},
              {"numerator", r.numerator},
              {"denominator", r.denominator}};
}

// Worse of two judged results of one goal (group_rate_ratio: one per group).
bool Worse(const GoalResult& a, const GoalResult& b) {
  if (a.shortfall != b.shortfall) return a.shortfall;
  return a.goal->is_min ? *a.value < *b.value : *a.value > *b.value;
}

// The result standing for one goal of one provider: its worst judged
// result, else its first one; null when it has none.
using Representatives =
    std::map<std::pair<const GoalSpec*, std::string>, const GoalResult*>;

Representatives Represent(const BriefInputs& in) {
  Representatives out;
  for (const GoalResult& r : in.results) {
    if (r.program != in.program) continue;
    const GoalResult*& rep = out[{r.goal, r.provider}];
    if (rep == nullptr || (r.judged && (!rep->judged || Worse(r, *rep)))) {
      rep = &r;
    }
  }
  return out;
}

std::string NotJudgedWhy(const BriefInputs& in) {
  return in.ready ? "" : kFiguresNotReady;
}

const char* Status(const GoalResult* r) {
  if (r == nullptr || !r->judged) return "not_judged";
  return r->shortfall ? "shortfall" : "met";
}

Json GoalJson(const GoalSpec& g, const BriefInputs& in,
              const Representatives& reps) {
  const auto it = reps.find({&g, in.provider});
  // Not ready: partial figures are neither shown as a value nor judged.
  const GoalResult* r = it == reps.end() || !in.ready ? nullptr : it->second;
  std::vector<double> values;
  for (const auto& [key, rep] : reps) {
    if (key.first == &g && rep->judged &&
        (in.ready || key.second != in.provider)) {
      values.push_back(*rep->value);
    }
  }
  Json j = {{"contract", g.contract},
            {"goal", g.name},
            {"metric", g.metric_name},
            {"window", g.window},
            {"value", r ? JsonNumberOrNull(r->value) : Json(nullptr)},
            {"target", r ? r->target : g.TargetFor(in.provider)},
            {"status", Status(r)},
            {"sample_size", r ? r->sample_size : 0},
            {"rank", nullptr},
            {"of", values.size()},
            {"direction", g.is_min ? "min" : "max"},
            {"sample_unit", r ? r->sample_unit : ""},
            {"explanation", r ? r->explanation : NotJudgedWhy(in)}};
  if (r != nullptr && r->judged) {
    j["rank"] = RankAmong(*r->value, values, g.is_min);
  }
  if (r != nullptr && !r->group.empty()) {
    j["dimension"] = r->dimension;
    j["group"] = r->group;
  }
  return j;
}

Json GoalsJson(const BriefInputs& in) {
  const Representatives reps = Represent(in);
  Json goals = Json::array();
  for (const ContractSpec& c : in.rules->contracts) {
    if (c.program != in.program || !c.AppliesTo(in.provider, in.program)) {
      continue;
    }
    for (const GoalSpec& g : c.goals) goals.push_back(GoalJson(g, in, reps));
  }
  return goals;
}

Json AlertsJson(const std::vector<BriefAlert>& alerts) {
  Json out = Json::array();
  for (const BriefAlert& a : alerts) {
    out.push_back({{"alertname", a.alertname},
                   {"goal", a.goal},
                   {"state", a.state},
                   {"since", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", a.since,
                                              absl::UTCTimeZone())}});
  }
  return out;
}

Json GroupsJson(const WindowFigures& w) {
  Json out = Json::array();
  const auto add = [&out](const char* metric, const GroupRate& g) {
    Json j = {{"metric", metric},
              {"dimension", g.dimension},
              {"group", g.group},
              {"suppressed", g.suppressed}};
    if (!g.suppressed) {
      j["value"] = JsonNumberOrNull(g.rate.value());
      j["numerator"] = g.rate.numerator;
      j["denominator"] = g.rate.denominator;
    }
    out.push_back(std::move(j));
  };
  for (const GroupRate& g : w.enrollment_groups) add("enrollment_rate", g);
  for (const GroupRate& g : w.completion_groups) add("completion_rate", g);
  return out;
}

Json FunnelsJson(const BriefInputs& in, Json& brief) {
  const PeriodFunnel& current = in.funnels.back();
  const PeriodFunnel& previous = in.funnels[in.funnels.size() - 2];
  brief["period"] = {{"kind", PeriodKindName(in.kind)},
                     {"current", PeriodJson(current.period)},
                     {"previous", PeriodJson(previous.period)}};
  brief["funnel"] = {{"current", EventsJson(current.events)},
                     {"previous", EventsJson(previous.events)}};
  brief["funnel_complete"] = {{"current", current.complete},
                              {"previous", previous.complete}};
  Json trend = Json::array();
  for (const PeriodFunnel& f : in.funnels) {
    trend.push_back({{"start", FormatDay(f.period.start)},
                     {"end", FormatDay(f.period.end)},
                     {"complete", f.complete},
                     {"events", EventsJson(f.events)}});
  }
  return trend;
}

// The headline window's referral figures: priority share, creaming ratio,
// days to enroll, subgroups.
void WindowJson(const WindowFigures& w, Json& brief) {
  brief["window"] = WindowLabel(w.days);
  brief["priority_share"] = {
      {"referral", RateJson(w.priority_share_referral)},
      {"enrollment", RateJson(w.priority_share_enrollment)}};
  const std::optional<double> enr = w.priority_share_enrollment.value();
  const std::optional<double> ref = w.priority_share_referral.value();
  brief["creaming_ratio"] =
      (enr && ref && *ref > 0) ? JsonNumberOrNull(*enr / *ref) : Json(nullptr);
  brief["days_to_enroll"] = {
      {"count", w.days_to_enroll_count},
      {"p50", w.days_to_enroll_p50 ? Json(*w.days_to_enroll_p50) : Json()},
      {"p90", w.days_to_enroll_p90 ? Json(*w.days_to_enroll_p90) : Json()}};
  brief["groups"] = GroupsJson(w);
}

}  // namespace

int RankAmong(double value, const std::vector<double>& values, bool is_min) {
  int better = 0;
  for (double v : values) {
    if (is_min ? v > value : v < value) ++better;
  }
  return better + 1;
}

Json PaymentsJson(const std::vector<PaymentLine>& lines) {
  Json out = Json::array();
  for (const PaymentLine& p : lines) {
    out.push_back({{"contract", p.contract},
                   {"component", p.component},
                   {"period",
                    {{"start", FormatDay(p.period.start)},
                     {"end", FormatDay(p.period.end)}}},
                   {"current", p.current},
                   {"units", p.units},
                   {"priority_units", p.priority_units},
                   {"earned", p.earned},
                   {"maximum", JsonNumberOrNull(p.maximum)},
                   {"projected_units", JsonNumberOrNull(p.projected_units)}});
  }
  return out;
}

Json BuildBriefJson(const BriefInputs& in) {
  Json brief = {{"provider", in.provider},
                {"program", in.program},
                {"as_of", FormatDay(in.as_of)},
                {"ready", in.ready}};
  Json trend = FunnelsJson(in, brief);
  brief["trend"] = std::move(trend);
  brief["goals"] = GoalsJson(in);
  brief["alerts"] = AlertsJson(in.alerts);
  brief["stalled_referrals"] = in.figures->stalled_referrals;
  brief["stalled_priority_referrals"] = in.figures->stalled_priority_referrals;
  WindowJson(HeadlineWindow(*in.figures), brief);
  brief["payments"] = PaymentsJson(in.payments);
  brief["points_to_discuss"] = PointsToDiscuss(brief, in.enroll_within_days);
  return brief;
}

}  // namespace outcomes
