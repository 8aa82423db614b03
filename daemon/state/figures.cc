#include "daemon/state/figures.h"

#include <ostream>

namespace outcomes {
namespace {

std::ostream& operator<<(std::ostream& os, const std::optional<int>& v) {
  if (v.has_value()) return os << *v;
  return os << "absent";
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const Rate& r) {
  return os << r.numerator << "/" << r.denominator;
}

std::ostream& operator<<(std::ostream& os, const GroupRate& g) {
  os << g.dimension << "=" << g.group << ":" << g.rate;
  if (g.suppressed) os << "(suppressed)";
  return os;
}

std::ostream& operator<<(std::ostream& os, const WindowFigures& w) {
  os << "\n  window " << w.days << "d events=[";
  for (int k = 0; k < kNumEventKinds; ++k) {
    os << (k ? "," : "") << kEventKindNames[k] << ":" << w.events[k];
  }
  os << "] enrollment_rate=" << w.enrollment_rate
     << " completion_rate=" << w.completion_rate
     << " dte(n=" << w.days_to_enroll_count << " p50=" << w.days_to_enroll_p50
     << " p90=" << w.days_to_enroll_p90 << ")"
     << " priority(ref=" << w.priority_share_referral
     << " enr=" << w.priority_share_enrollment << ")\n    enrollment_groups:";
  for (const GroupRate& g : w.enrollment_groups) os << " " << g;
  os << "\n    completion_groups:";
  for (const GroupRate& g : w.completion_groups) os << " " << g;
  return os;
}

std::ostream& operator<<(std::ostream& os, const ProgramFigures& p) {
  os << p.provider << "/" << p.program << " stalled=" << p.stalled_referrals
     << " (priority " << p.stalled_priority_referrals << ")";
  for (const WindowFigures& w : p.windows) os << w;
  return os << "\n";
}

void MarkHistoryFrom(int horizon_days, int enroll_within_days, int32_t today,
                     int32_t history_from,
                     std::vector<ProgramFigures>& programs) {
  if (history_from == INT32_MIN) return;
  const int32_t horizon_start = today - horizon_days + 1;
  for (ProgramFigures& p : programs) {
    p.history_complete = horizon_start >= history_from;
    for (WindowFigures& w : p.windows) {
      // The oldest day a window's figures read is its enrollment cohort's:
      // referrals of age M+1 .. M+N.
      const int32_t first = today - enroll_within_days - w.days;
      w.complete = first >= history_from;
    }
  }
}

}  // namespace outcomes
