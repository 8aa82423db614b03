#include "daemon/state/program_figures.h"

#include <algorithm>
#include <tuple>
#include <vector>

#include "daemon/state/suppression.h"

namespace outcomes {
namespace {

// Sums gathered in one pass over a program's funnels. Days are funnel days
// (offsets from the epoch), held as int so nothing wraps.
class FunnelTally {
 public:
  FunnelTally(const FigureInputs& in)
      : in_(in),
        windows_(in.settings.windows_days),
        dims_(in.groups.num_dimensions()),
        horizon_(in.settings.horizon_days),
        m_(in.settings.enroll_within_days),
        today_(in.today - in.epoch),
        min_day_(today_ - horizon_ + 1),
        cohort_(windows_.size()),
        cohort_groups_(windows_.size() * dims_ * kGroupSlots),
        dte_(windows_.size() * horizon_),
        dte_count_(windows_.size()) {}

  void Add(const FunnelView& f);

  static constexpr int kGroupSlots = 256;
  const FigureInputs& in_;
  const std::vector<int>& windows_;
  const int dims_, horizon_, m_, today_, min_day_;
  std::vector<Rate> cohort_;         // [w]
  std::vector<Rate> cohort_groups_;  // [(w * dims + d) * 256 + group]
  std::vector<int64_t> dte_;         // [w * horizon + value]
  std::vector<int64_t> dte_count_;   // [w]
  int64_t stalled_ = 0;
  int64_t stalled_priority_ = 0;

 private:
  void AddMaturedReferral(FunnelReferral r, int age, bool in_time);
  void AddEnrollment(int day, int referral_day);
};

void FunnelTally::AddMaturedReferral(FunnelReferral r, int age, bool in_time) {
  for (size_t w = 0; w < windows_.size(); ++w) {
    if (age > m_ + windows_[w]) continue;
    cohort_[w].denominator++;
    cohort_[w].numerator += in_time;
    for (int d = 0; d < dims_; ++d) {
      const int g = in_.groups.ProfileGroup(r.profile(), d);
      if (g == 0) continue;
      Rate& rate = cohort_groups_[(w * dims_ + d) * kGroupSlots + g];
      rate.denominator++;
      rate.numerator += in_time;
    }
  }
}

void FunnelTally::AddEnrollment(int day, int referral_day) {
  const int age = today_ - day;
  const int value = day - referral_day;
  for (size_t w = 0; w < windows_.size(); ++w) {
    if (age >= windows_[w]) continue;
    dte_[w * horizon_ + value]++;
    dte_count_[w]++;
  }
}

void FunnelTally::Add(const FunnelView& f) {
  // Enrollments that exist as of today: within the horizon, not future.
  auto lo =
      std::lower_bound(f.enrollments.begin(), f.enrollments.end(), min_day_,
                       [](FunnelDay d, int v) { return d < v; });
  auto hi = std::upper_bound(lo, f.enrollments.end(), today_,
                             [](int v, FunnelDay d) { return v < d; });
  const bool enrolled_ever = lo != hi;
  for (FunnelReferral r : f.referrals) {
    if (r.day < min_day_ || r.day > today_) continue;
    const int age = today_ - r.day;
    if (age < m_ + 1) continue;
    if (!enrolled_ever) {
      stalled_++;
      stalled_priority_ += r.priority();
    }
    const bool in_time = std::any_of(
        lo, hi, [&](FunnelDay e) { return e >= r.day && e <= r.day + m_; });
    AddMaturedReferral(r, age, in_time);
  }
  for (auto e = lo; e != hi; ++e) {
    // The most recent referral on or before the enrollment's day.
    int referral_day = -1;
    for (FunnelReferral r : f.referrals) {
      if (r.day > *e) break;
      if (r.day >= min_day_) referral_day = r.day;
    }
    if (referral_day >= 0) AddEnrollment(*e, referral_day);
  }
}

void SortGroups(const GroupInterner& groups, std::vector<GroupRate>& v) {
  auto dim_index = [&](const std::string& name) {
    for (int d = 0; d < groups.num_dimensions(); ++d) {
      if (groups.dimension(d) == name) return d;
    }
    return groups.num_dimensions();
  };
  std::sort(v.begin(), v.end(), [&](const GroupRate& a, const GroupRate& b) {
    return std::make_tuple(dim_index(a.dimension), std::cref(a.group)) <
           std::make_tuple(dim_index(b.dimension), std::cref(b.group));
  });
}

std::vector<GroupRate> EnrollmentGroups(const FunnelTally& t, size_t w) {
  std::vector<GroupRate> out;
  const GroupInterner& groups = t.in_.groups;
  for (int d = 0; d < t.dims_; ++d) {
    const int n = static_cast<int>(groups.group_names(d).size());
    for (int g = 1; g <= n; ++g) {
      const Rate& rate =
          t.cohort_groups_[(w * t.dims_ + d) * FunnelTally::kGroupSlots + g];
      if (rate.denominator == 0) continue;
      out.push_back({groups.dimension(d),
                     groups.GroupName(d, static_cast<uint8_t>(g)), rate});
    }
  }
  return out;
}

std::vector<GroupRate> CompletionGroups(const ProgramState& p,
                                        const FigureInputs& in, int days) {
  std::vector<GroupRate> out;
  for (GroupRingKey key : p.rings.GroupKeys()) {
    const DayRings::GroupCounts c = p.rings.SumGroup(key, in.today, days);
    if (c[0] + c[1] == 0) continue;
    const int d = key >> 8;
    const auto g = static_cast<uint8_t>(key & 0xff);
    out.push_back({in.groups.dimension(d), in.groups.GroupName(d, g),
                   Rate{c[0], static_cast<int64_t>(c[0]) + c[1]}});
  }
  return out;
}

void AddRingFigures(const ProgramState& p, const FigureInputs& in,
                    WindowFigures& wf) {
  const int n = wf.days;
  for (int k = 0; k < kNumEventKinds; ++k) {
    wf.events[k] = p.rings.Sum(k, in.today, n);
  }
  wf.completion_rate = {wf.events[kCompletion],
                        wf.events[kCompletion] + wf.events[kDisenrollment]};
  wf.priority_share_referral = {p.rings.Sum(kPriorityReferral, in.today, n),
                                wf.events[kReferral]};
  wf.priority_share_enrollment = {p.rings.Sum(kPriorityEnrollment, in.today, n),
                                  wf.events[kEnrollment]};
  wf.completion_groups = CompletionGroups(p, in, n);
}

void AddFunnelFigures(const FunnelTally& t, size_t w, WindowFigures& wf) {
  wf.enrollment_rate = t.cohort_[w];
  const int64_t* hist = &t.dte_[w * t.horizon_];
  wf.days_to_enroll_count = t.dte_count_[w];
  wf.days_to_enroll_p50 =
      NearestRankQuantile(hist, t.horizon_, t.dte_count_[w], 1, 2);
  wf.days_to_enroll_p90 =
      NearestRankQuantile(hist, t.horizon_, t.dte_count_[w], 9, 10);
  wf.enrollment_groups = EnrollmentGroups(t, w);
}

}  // namespace

std::optional<int> NearestRankQuantile(const int64_t* counts, int size,
                                       int64_t total, int num, int den) {
  if (total == 0) return std::nullopt;
  // rank = ceil(q * total), at least 1.
  const int64_t rank = std::max<int64_t>(1, (num * total + den - 1) / den);
  int64_t seen = 0;
  for (int v = 0; v < size; ++v) {
    seen += counts[v];
    if (seen >= rank) return v;
  }
  return std::nullopt;  // unreachable when total == sum(counts)
}

ProgramFigures ComputeProgramFigures(const ProgramState& program,
                                     const FigureInputs& in) {
  FunnelTally tally(in);
  program.funnels.ForEach(
      [&](uint64_t, const FunnelView& view) { tally.Add(view); });
  ProgramFigures out{program.provider,
                     program.program,
                     tally.stalled_,
                     tally.stalled_priority_,
                     {}};
  for (size_t w = 0; w < in.settings.windows_days.size(); ++w) {
    WindowFigures wf;
    wf.days = in.settings.windows_days[w];
    AddRingFigures(program, in, wf);
    AddFunnelFigures(tally, w, wf);
    SortGroups(in.groups, wf.enrollment_groups);
    SortGroups(in.groups, wf.completion_groups);
    SuppressByDimension(in.settings.min_cell, wf.enrollment_groups);
    SuppressByDimension(in.settings.min_cell, wf.completion_groups);
    out.windows.push_back(std::move(wf));
  }
  return out;
}

}  // namespace outcomes
