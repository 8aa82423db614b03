#include "daemon/http/brief_routes.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/base/json.h"
#include "daemon/brief/brief.h"
#include "daemon/brief/brief_figures.h"
#include "daemon/brief/brief_render.h"
#include "daemon/rules/payments.h"
#include "daemon/state/figures_json.h"

namespace outcomes {
namespace {

constexpr int kTrendPeriods = 6;

HttpResponse ErrorFor(const absl::Status& s) {
  const int code = s.code() == absl::StatusCode::kNotFound          ? 404
                   : s.code() == absl::StatusCode::kInvalidArgument ? 400
                   : s.code() == absl::StatusCode::kUnavailable     ? 503
                                                                    : 500;
  return JsonError(code, std::string(s.message()));
}

std::string Query(const HttpRequest& r, const char* name) {
  const auto it = r.query.find(name);
  return it == r.query.end() ? std::string() : it->second;
}

absl::StatusOr<std::shared_ptr<const StoreSnapshot>> Evaluated(
    const EvaluationLoop& evaluation) {
  std::shared_ptr<const StoreSnapshot> snap = evaluation.Latest();
  if (snap->today == 0 && snap->partitions.empty()) {
    return absl::UnavailableError("no evaluation has run yet; retry shortly");
  }
  return snap;
}

// The program asked for, or the provider's only one when none was asked.
absl::StatusOr<std::string> ProgramOf(const StoreSnapshot& snap,
                                      const std::string& provider,
                                      const std::string& asked) {
  const std::set<std::string> programs =
      FindOwnFigures(snap, provider, "").programs;
  if (programs.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "unknown provider \"", provider,
        "\": this process holds no figures for it within the horizon"));
  }
  if (asked.empty()) {
    if (programs.size() == 1) return *programs.begin();
    return absl::InvalidArgumentError(
        absl::StrCat("provider \"", provider, "\" has several programs (",
                     absl::StrJoin(programs, ", "), "): add ?program="));
  }
  if (!programs.contains(asked)) {
    return absl::NotFoundError(absl::StrCat(
        "unknown program \"", asked, "\" for provider \"", provider,
        "\" (its programs: ", absl::StrJoin(programs, ", "), ")"));
  }
  return asked;
}

// The funnels of the current period and the kTrendPeriods - 1 before it,
// oldest first, from the day buckets; days before the horizon count 0.
std::vector<PeriodFunnel> Funnels(const StateStore& store,
                                  const BriefInputs& in) {
  const DayNumber kept_from = in.as_of - store.settings().horizon_days + 1;
  std::vector<PeriodFunnel> out(kTrendPeriods);
  Period p = PeriodOf(in.kind, in.as_of);
  for (int i = kTrendPeriods - 1; i >= 0; --i, p = PreviousPeriod(in.kind, p)) {
    PeriodFunnel& f = out[i];
    f.period = p;
    f.complete = p.start >= kept_from;
    const DayNumber from = std::max(p.start, kept_from);
    const DayNumber to = std::min(p.end, in.as_of);
    if (from > to) continue;
    f.events = store.EventsBetween(in.provider, in.program, from, to)
                   .value_or(EventCounts{});
  }
  return out;
}

std::vector<BriefAlert> AlertsOf(const Alerting& alerting,
                                 const BriefInputs& in) {
  std::vector<BriefAlert> out;
  for (const AlertInstance& a : alerting.OwnInstances()) {
    const auto label = [&a](const char* name) {
      const auto it = a.labels.find(name);
      return it == a.labels.end() ? std::string() : it->second;
    };
    if (label("provider") != in.provider || label("program") != in.program ||
        a.phase == AlertPhase::kResolved) {
      continue;
    }
    const bool firing = a.phase == AlertPhase::kFiring;
    out.push_back({label("alertname"), label("goal"), AlertPhaseName(a.phase),
                   firing ? a.fired_at : a.active_at});
  }
  return out;
}

// The payment lines of the provider on the program: every contract of the
// program with a payments block that applies to it. From the payment
// report's last evaluation when it matches; else counted here (the whole
// contract: only right after a day rolled over or the rules reloaded).
std::vector<PaymentLine> PaymentsOf(const PaymentReport& report,
                                    const RuleSet& rules,
                                    const StateStore& store,
                                    const BriefInputs& in) {
  if (std::optional<std::vector<PaymentLine>> lines =
          report.LinesOf(in.provider, in.program, in.as_of, &rules)) {
    return *std::move(lines);
  }
  std::vector<PaymentLine> out;
  for (const ContractSpec& c : rules.contracts) {
    if (!c.payments.has_value() || !c.AppliesTo(in.provider, in.program)) {
      continue;
    }
    for (ProviderPayments& p : CollectPayments(c, store, in.as_of)) {
      if (p.provider != in.provider) continue;
      for (PaymentLine& line : p.lines) out.push_back(std::move(line));
    }
  }
  return out;
}

// The goal results: the provider's own with explanations (none when it is
// not ready), the other judgeable providers' without (only their values
// count, for ranks).
std::vector<GoalResult> ResultsOf(const RuleSet& rules,
                                  const EvaluatorSettings& settings,
                                  const StoreSnapshot& snap,
                                  const BriefInputs& in) {
  EvaluatorSettings values_only = settings;
  values_only.explain = false;
  std::vector<GoalResult> out = EvaluateGoals(
      rules, RankedFigures(snap, in.provider, in.program), values_only);
  if (in.ready) {
    for (GoalResult& r : EvaluateGoals(rules, {in.figures}, settings)) {
      out.push_back(std::move(r));
    }
  }
  return out;
}

absl::StatusOr<Json> Brief(const EvaluationLoop& evaluation,
                           const Alerting& alerting,
                           const PaymentReport& payments,
                           const std::string& provider, const HttpRequest& r) {
  const std::string period = Query(r, "period");
  const std::optional<PeriodKind> kind =
      ParsePeriodKind(period.empty() ? "month" : period);
  if (!kind) {
    return absl::InvalidArgumentError(
        absl::StrCat("period must be month or quarter, not \"", period, "\""));
  }
  absl::StatusOr<std::shared_ptr<const StoreSnapshot>> snap =
      Evaluated(evaluation);
  if (!snap.ok()) return snap.status();
  absl::StatusOr<std::string> program =
      ProgramOf(**snap, provider, Query(r, "program"));
  if (!program.ok()) return program.status();
  const OwnFigures own = FindOwnFigures(**snap, provider, *program);
  const std::shared_ptr<const RuleSet> rules = alerting.rules();
  BriefInputs in;
  in.provider = provider;
  in.program = *program;
  in.as_of = (*snap)->today;
  in.kind = *kind;
  in.figures = own.figures;
  in.ready = own.partition->ready && alerting.figures_ready();
  in.rules = rules.get();
  in.results = ResultsOf(*rules, alerting.evaluator_settings(), **snap, in);
  in.funnels = Funnels(evaluation.store(), in);
  in.alerts = AlertsOf(alerting, in);
  in.enroll_within_days = evaluation.store().settings().enroll_within_days;
  in.payments = PaymentsOf(payments, *rules, evaluation.store(), in);
  return BuildBriefJson(in);
}

}  // namespace

HttpResponse ProviderFiguresAsOf(const EvaluationLoop& evaluation,
                                 const std::string& provider,
                                 const std::string& as_of_text) {
  const std::optional<DayNumber> as_of = ParseDay(as_of_text);
  if (!as_of) {
    return JsonError(
        400, absl::StrCat("as_of must be a date YYYY-MM-DD, not \"", as_of_text,
                          "\""));
  }
  absl::StatusOr<std::shared_ptr<const StoreSnapshot>> snap =
      Evaluated(evaluation);
  if (!snap.ok()) return ErrorFor(snap.status());
  const DayNumber today = (*snap)->today;
  const DayNumber first =
      today - evaluation.store().settings().horizon_days + 1;
  if (*as_of < first || *as_of > today) {
    return JsonError(
        400, absl::StrCat("as_of ", as_of_text,
                          " is outside the horizon: from ", FormatDay(first),
                          " to ", FormatDay(today), " (--horizon)"));
  }
  std::optional<std::string> body = RenderProviderJson(
      evaluation.store().ProviderSnapshot(provider, *as_of, today), provider);
  if (!body) {
    return JsonError(404, absl::StrCat("unknown provider \"", provider,
                                       "\": no figures as of ", as_of_text));
  }
  Json j = Json::parse(*body);
  j["as_of"] = FormatDay(*as_of);
  return HttpResponse{200, "application/json", DumpJson(j)};
}

void AddBriefRoutes(HttpServer& http, const EvaluationLoop& evaluation,
                    const Alerting& alerting, const PaymentReport& payments) {
  http.Route("GET", "/api/v1/briefs/",
             [&evaluation, &alerting, &payments](const HttpRequest& r) {
               const std::string id =
                   r.path.substr(sizeof("/api/v1/briefs/") - 1);
               absl::StatusOr<Json> brief =
                   Brief(evaluation, alerting, payments, id, r);
               if (!brief.ok()) return ErrorFor(brief.status());
               return HttpResponse{200, "application/json", DumpJson(*brief)};
             });
  http.Route("GET", "/briefs/",
             [&evaluation, &alerting, &payments](const HttpRequest& r) {
               const std::string id = r.path.substr(sizeof("/briefs/") - 1);
               absl::StatusOr<Json> brief =
                   Brief(evaluation, alerting, payments, id, r);
               if (!brief.ok()) return ErrorFor(brief.status());
               return HttpResponse{200, "text/html; charset=utf-8",
                                   RenderBriefHtml(*brief)};
             });
}

}  // namespace outcomes
