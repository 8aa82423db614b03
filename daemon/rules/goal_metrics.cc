#include "daemon/rules/goal_metrics.h"

#include <charconv>
#include <cmath>
#include <iterator>

#include "absl/base/internal/raw_logging.h"
#include "absl/base/macros.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/rules/goal_spec.h"

namespace outcomes {
namespace {

Measurement FromRate(const Rate& rate, std::string unit) {
  Measurement m;
  m.value = rate.value();
  m.successes = rate.numerator;
  m.sample_size = rate.denominator;
  m.sample_unit = std::move(unit);
  return m;
}

Measurement Count(int64_t n, std::string unit, std::string explanation) {
  Measurement m;
  m.value = static_cast<double>(n);
  m.sample_size = n;
  m.sample_unit = std::move(unit);
  m.explanation = std::move(explanation);
  return m;
}

void Append(std::string& text, const std::string& sentence) {
  if (sentence.empty()) return;
  if (!text.empty()) text += ' ';
  text += sentence;
}

// ---- measure functions, one per row ----

Measurement WindowEvents(const GoalSpec& g, const WindowFigures* w,
                         const ProgramFigures&, const EvaluatorSettings& s) {
  const std::string type(kEventKindNames[g.event_kind]);
  const int64_t n = w->events[g.event_kind];
  return Count(n, absl::StrCat(type, " events"),
               s.explain ? absl::StrCat(n, " ", type, " events in the last ",
                                        w->days, " days.")
                         : "");
}

Measurement EnrollmentRate(const GoalSpec&, const WindowFigures* w,
                           const ProgramFigures& f,
                           const EvaluatorSettings& s) {
  Measurement m = FromRate(w->enrollment_rate, "referrals");
  if (!s.explain) return m;
  const int first = s.enroll_within_days + 1;
  m.explanation = absl::StrCat(
      m.successes, " of ", m.sample_size, " referrals made ", first, "-",
      first + w->days - 1, " days ago enrolled within ", s.enroll_within_days,
      " days.");
  Append(m.explanation, StalledSentence(f, s));
  return m;
}

Measurement CompletionRate(const GoalSpec&, const WindowFigures* w,
                           const ProgramFigures&, const EvaluatorSettings& s) {
  Measurement m = FromRate(w->completion_rate, "exits");
  if (!s.explain) return m;
  m.explanation = absl::StrCat(m.successes, " of ", m.sample_size,
                               " clients who left the program in the last ",
                               w->days, " days completed it.");
  return m;
}

Measurement StalledReferrals(const GoalSpec&, const WindowFigures*,
                             const ProgramFigures& f,
                             const EvaluatorSettings& s) {
  return Count(f.stalled_referrals, "referrals",
               s.explain ? StalledSentence(f, s) : "");
}

Measurement DaysToEnroll(const WindowFigures& w, bool p90, bool explain) {
  Measurement m;
  const std::optional<int> q =
      p90 ? w.days_to_enroll_p90 : w.days_to_enroll_p50;
  if (q.has_value()) m.value = *q;
  m.sample_size = w.days_to_enroll_count;
  m.sample_unit = "enrollments";
  if (!explain) return m;
  m.explanation = absl::StrCat(p90 ? "90th percentile" : "Median",
                               " of the days from referral to enrollment over ",
                               w.days_to_enroll_count,
                               " enrollments in the last ", w.days, " days.");
  return m;
}

Measurement DaysToEnrollP50(const GoalSpec&, const WindowFigures* w,
                            const ProgramFigures&, const EvaluatorSettings& s) {
  return DaysToEnroll(*w, false, s.explain);
}

Measurement DaysToEnrollP90(const GoalSpec&, const WindowFigures* w,
                            const ProgramFigures&, const EvaluatorSettings& s) {
  return DaysToEnroll(*w, true, s.explain);
}

Measurement PriorityShare(const GoalSpec& g, const WindowFigures* w,
                          const ProgramFigures&, const EvaluatorSettings& s) {
  const bool referral = g.stage == GoalStage::kReferral;
  const char* unit = referral ? "referrals" : "enrollments";
  Measurement m = FromRate(
      referral ? w->priority_share_referral : w->priority_share_enrollment,
      unit);
  if (!s.explain) return m;
  m.explanation = absl::StrCat(m.successes, " of ", m.sample_size, " ", unit,
                               " in the last ", w->days,
                               " days were priority-population clients.");
  return m;
}

Measurement Creaming(const GoalSpec&, const WindowFigures* w,
                     const ProgramFigures&, const EvaluatorSettings& s) {
  const Rate& enr = w->priority_share_enrollment;
  const Rate& ref = w->priority_share_referral;
  Measurement m;
  m.sample_size = enr.denominator;
  m.sample_unit = "enrollments";
  if (!enr.value() || !ref.value() || *ref.value() == 0) return m;
  m.value = *enr.value() / *ref.value();
  if (!s.explain) return m;
  m.explanation = absl::StrCat(
      "Priority-population clients were ", Percent(*enr.value()), " of ",
      enr.denominator, " enrollments but ", Percent(*ref.value()), " of ",
      ref.denominator, " referrals in the last ", w->days, " days.");
  return m;
}

// ---- phrases ----

std::string WindowEventsPhrase(const GoalSpec& g, absl::string_view,
                               absl::string_view) {
  return absl::StrCat("number of ", std::string(kEventKindNames[g.event_kind]),
                      " events");
}
std::string PriorityPhrase(const GoalSpec& g, absl::string_view,
                           absl::string_view) {
  return absl::StrCat(
      "priority-population share of ",
      g.stage == GoalStage::kReferral ? "referrals" : "enrollments");
}
std::string GroupPhrase(const GoalSpec& g, absl::string_view dimension,
                        absl::string_view group) {
  return absl::StrCat(
      g.rate == GoalRate::kEnrollment ? "enrollment" : "completion",
      " rate of ", dimension, " group ", group, " relative to the best group");
}

// The table. Columns: metric, name, proportion, windowed, staged,
// per_group, phrase (fixed text, or empty and a function), measure.
constexpr GoalMetricInfo kGoalMetricTable[] = {
    {v1::GOAL_METRIC_WINDOW_EVENTS, "window_events", false, true, false, false,
     "", WindowEventsPhrase, WindowEvents},
    {v1::GOAL_METRIC_ENROLLMENT_RATE, "enrollment_rate", true, true, false,
     false, "enrollment rate", nullptr, EnrollmentRate},
    {v1::GOAL_METRIC_COMPLETION_RATE, "completion_rate", true, true, false,
     false, "completion rate", nullptr, CompletionRate},
    {v1::GOAL_METRIC_STALLED_REFERRALS, "stalled_referrals", false, false,
     false, false, "number of stalled referrals", nullptr, StalledReferrals},
    {v1::GOAL_METRIC_DAYS_TO_ENROLL_P50, "days_to_enroll_p50", false, true,
     false, false, "median days from referral to enrollment", nullptr,
     DaysToEnrollP50},
    {v1::GOAL_METRIC_DAYS_TO_ENROLL_P90, "days_to_enroll_p90", false, true,
     false, false, "90th-percentile days from referral to enrollment", nullptr,
     DaysToEnrollP90},
    {v1::GOAL_METRIC_PRIORITY_SHARE, "priority_share", true, true, true, false,
     "", PriorityPhrase, PriorityShare},
    {v1::GOAL_METRIC_CREAMING_RATIO, "creaming_ratio", false, true, false,
     false, "creaming ratio (priority share of enrollments / of referrals)",
     nullptr, Creaming},
    {v1::GOAL_METRIC_GROUP_RATE_RATIO, "group_rate_ratio", false, true, false,
     true, "", GroupPhrase, nullptr},
};

// Every enum value but UNSPECIFIED has exactly one row.
static_assert(std::size(kGoalMetricTable) == v1::GoalMetric_ARRAYSIZE - 1,
              "every v1::GoalMetric needs a row in kGoalMetricTable");

constexpr absl::string_view kWindowEventsPrefix = "window_events:";

}  // namespace

const GoalMetricInfo& MetricInfo(v1::GoalMetric metric) {
  for (const GoalMetricInfo& row : kGoalMetricTable) {
    if (row.metric == metric) return row;
  }
  ABSL_RAW_LOG(FATAL, "no goal-metric row for %d", static_cast<int>(metric));
  return kGoalMetricTable[0];
}

const GoalMetricInfo* FindMetric(absl::string_view name) {
  if (absl::StartsWith(name, kWindowEventsPrefix)) {
    return &MetricInfo(v1::GOAL_METRIC_WINDOW_EVENTS);
  }
  for (const GoalMetricInfo& row : kGoalMetricTable) {
    if (row.metric != v1::GOAL_METRIC_WINDOW_EVENTS && row.name == name) {
      return &row;
    }
  }
  return nullptr;
}

std::string MetricNames(bool proportions_only) {
  std::string out;
  for (const GoalMetricInfo& row : kGoalMetricTable) {
    if (proportions_only && !row.proportion) continue;
    absl::StrAppend(
        &out, out.empty() ? "" : ", ", row.name,
        row.metric == v1::GOAL_METRIC_WINDOW_EVENTS ? ":<type>" : "");
  }
  return out;
}

Measurement Measure(const GoalSpec& goal, const ProgramFigures& figures,
                    const EvaluatorSettings& settings) {
  const GoalMetricInfo& info = MetricInfo(goal.metric);
  ABSL_ASSERT(info.measure != nullptr);  // per-group metrics: the evaluator
  if (info.measure == nullptr) return Measurement{};
  const WindowFigures* w = nullptr;
  if (info.windowed) {
    w = FindWindow(figures, goal.window_days);
    if (w == nullptr) return Measurement{};
  }
  return info.measure(goal, w, figures, settings);
}

const WindowFigures* FindWindow(const ProgramFigures& figures, int days) {
  for (const WindowFigures& w : figures.windows) {
    if (w.days == days) return &w;
  }
  return nullptr;
}

std::string StalledSentence(const ProgramFigures& f,
                            const EvaluatorSettings& s) {
  if (f.stalled_referrals == 0) return "";
  return absl::StrCat(
      f.stalled_referrals, " referrals older than ", s.enroll_within_days,
      " days (within the last ", s.horizon_days, " days) are not enrolled; ",
      f.stalled_priority_referrals, " are priority-population clients.");
}

namespace {

// printf("%.<precision>f", v) (std::to_chars is specified to print the
// same, without printf's parsing and locale).
std::string Fixed(double v, int precision) {
  char buf[400];  // the longest double in fixed notation is < 330 chars
  const std::to_chars_result r = std::to_chars(
      buf, buf + sizeof(buf), v, std::chars_format::fixed, precision);
  return std::string(buf, r.ptr);
}

}  // namespace

std::string Percent(double share) {
  std::string s = Fixed(share * 100, 1);
  s += '%';
  return s;
}

std::string FormatNumber(double v) {
  if (std::fabs(v) < 1e15 && v == std::floor(v)) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  std::string s = Fixed(v, 4);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string MetricPhrase(const GoalSpec& goal, absl::string_view dimension,
                         absl::string_view group) {
  const GoalMetricInfo& info = MetricInfo(goal.metric);
  if (info.phrase_fn == nullptr) return std::string(info.phrase);
  return info.phrase_fn(goal, dimension, group);
}

std::string ShowValue(const GoalSpec& goal, double v) {
  return MetricInfo(goal.metric).proportion ? Percent(v) : FormatNumber(v);
}

}  // namespace outcomes
