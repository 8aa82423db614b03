#include "daemon/alerts/goal_measure.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

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

Measurement EnrollmentRate(const WindowFigures& w, const ProgramFigures& f,
                           const EvaluatorSettings& s) {
  Measurement m = FromRate(w.enrollment_rate, "referrals");
  const int first = s.enroll_within_days + 1;
  m.explanation =
      absl::StrCat(m.successes, " of ", m.sample_size, " referrals made ",
                   first, "-", first + w.days - 1, " days ago enrolled within ",
                   s.enroll_within_days, " days.");
  Append(m.explanation, StalledSentence(f, s));
  return m;
}

Measurement CompletionRate(const WindowFigures& w) {
  Measurement m = FromRate(w.completion_rate, "exits");
  m.explanation = absl::StrCat(m.successes, " of ", m.sample_size,
                               " clients who left the program in "
                               "the last ",
                               w.days, " days completed it.");
  return m;
}

Measurement DaysToEnroll(const WindowFigures& w, bool p90) {
  Measurement m;
  const std::optional<int> q =
      p90 ? w.days_to_enroll_p90 : w.days_to_enroll_p50;
  if (q.has_value()) m.value = *q;
  m.sample_size = w.days_to_enroll_count;
  m.sample_unit = "enrollments";
  m.explanation = absl::StrCat(p90 ? "90th percentile" : "Median",
                               " of the days from referral to "
                               "enrollment over ",
                               w.days_to_enroll_count,
                               " enrollments in the last ", w.days, " days.");
  return m;
}

Measurement PriorityShare(const WindowFigures& w, GoalStage stage) {
  const bool referral = stage == GoalStage::kReferral;
  const char* unit = referral ? "referrals" : "enrollments";
  Measurement m = FromRate(
      referral ? w.priority_share_referral : w.priority_share_enrollment, unit);
  m.explanation = absl::StrCat(m.successes, " of ", m.sample_size, " ", unit,
                               " in the last ", w.days,
                               " days were priority-population clients.");
  return m;
}

Measurement Creaming(const WindowFigures& w) {
  const Rate& enr = w.priority_share_enrollment;
  const Rate& ref = w.priority_share_referral;
  Measurement m;
  m.sample_size = enr.denominator;
  m.sample_unit = "enrollments";
  if (!enr.value() || !ref.value() || *ref.value() == 0) return m;
  m.value = *enr.value() / *ref.value();
  m.explanation = absl::StrCat(
      "Priority-population clients were ", Percent(*enr.value()), " of ",
      enr.denominator, " enrollments but ", Percent(*ref.value()), " of ",
      ref.denominator, " referrals in the last ", w.days, " days.");
  return m;
}

}  // namespace

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

Measurement Measure(const GoalSpec& goal, const ProgramFigures& f,
                    const EvaluatorSettings& s) {
  if (goal.metric == GoalMetric::kStalledReferrals) {
    return Count(f.stalled_referrals, "referrals", StalledSentence(f, s));
  }
  const WindowFigures* w = FindWindow(f, goal.window_days);
  if (w == nullptr) return Measurement{};
  switch (goal.metric) {
    case GoalMetric::kWindowEvents: {
      const std::string type(kEventKindNames[goal.event_kind]);
      const int64_t n = w->events[goal.event_kind];
      return Count(n, absl::StrCat(type, " events"),
                   absl::StrCat(n, " ", type, " events in the last ", w->days,
                                " days."));
    }
    case GoalMetric::kEnrollmentRate:
      return EnrollmentRate(*w, f, s);
    case GoalMetric::kCompletionRate:
      return CompletionRate(*w);
    case GoalMetric::kDaysToEnrollP50:
    case GoalMetric::kDaysToEnrollP90:
      return DaysToEnroll(*w, goal.metric == GoalMetric::kDaysToEnrollP90);
    case GoalMetric::kPriorityShare:
      return PriorityShare(*w, goal.stage);
    case GoalMetric::kCreamingRatio:
      return Creaming(*w);
    default:  // kStalledReferrals handled above; kGroupRateRatio elsewhere
      return Measurement{};
  }
}

std::string Percent(double share) {
  return absl::StrFormat("%.1f%%", share * 100);
}

std::string FormatNumber(double v) {
  if (std::fabs(v) < 1e15 && v == std::floor(v)) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  std::string s = absl::StrFormat("%.4f", v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace outcomes
