#include "daemon/state/figures_exporter.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/state/gauge_series.h"

namespace outcomes {

using prometheus::Gauge;
using prometheus::Labels;

// The series of one gauge family that the exporter owns.
class FiguresExporter::SeriesSet : public GaugeSeries {
 public:
  using GaugeSeries::GaugeSeries;
};

FiguresExporter::FiguresExporter(prometheus::Registry& registry)
    : window_events_(std::make_unique<SeriesSet>(
          registry, "outcomes_window_events",
          "Events of a type with occurred_at in the window (days, agency "
          "time zone).")),
      enrollment_rate_(std::make_unique<SeriesSet>(
          registry, "outcomes_enrollment_rate",
          "Share of referrals of age enroll_within+1 .. enroll_within+N days "
          "whose client enrolled within enroll_within days.")),
      completion_rate_(std::make_unique<SeriesSet>(
          registry, "outcomes_completion_rate",
          "Completions / (completions + disenrollments) in the window.")),
      stalled_(std::make_unique<SeriesSet>(
          registry, "outcomes_stalled_referrals",
          "Matured referrals within the horizon whose client has no "
          "enrollment.")),
      stalled_priority_(std::make_unique<SeriesSet>(
          registry, "outcomes_stalled_priority_referrals",
          "Stalled referrals of priority-population clients.")),
      time_to_enroll_(std::make_unique<SeriesSet>(
          registry, "outcomes_time_to_enroll_seconds",
          "Nearest-rank percentile of the time from referral to enrollment "
          "in seconds (whole days x 86400), enrollments in the window.")),
      priority_share_(std::make_unique<SeriesSet>(
          registry, "outcomes_priority_share",
          "Share of the stage's events in the window whose client has a "
          "priority group.")),
      group_rate_(std::make_unique<SeriesSet>(
          registry, "outcomes_group_rate",
          "A rate for one subgroup; absent below min_cell (small-cell "
          "suppression).")),
      funnels_(std::make_unique<SeriesSet>(
          registry, "outcomes_state_funnels",
          "Live client funnels held for a partition.")),
      overflow_family_(
          prometheus::BuildCounter()
              .Name("outcomes_group_overflow_total")
              .Help("Events whose subgroup value was folded into no group "
                    "because the dimension reached its cap of values.")
              .Register(registry)) {}

FiguresExporter::~FiguresExporter() = default;

void FiguresExporter::Update(const StoreSnapshot& snapshot) {
  absl::MutexLock lock(&mu_);
  std::set<std::pair<std::string, std::string>> exported;
  for (const PartitionFigures& part : snapshot.partitions) {
    funnels_->Set({{"topic", part.id.topic},
                   {"partition", absl::StrCat(part.id.partition)}},
                  static_cast<double>(part.live_funnels));
    // A partition being rebuilt has partial figures: export none (a gap in
    // the graphs, not a dip a contract manager could take for real).
    if (!part.ready) continue;
    for (const ProgramFigures& p : part.programs) {
      if (exported.insert({p.provider, p.program}).second) ExportProgram(p);
    }
  }
  for (SeriesSet* s :
       {window_events_.get(), enrollment_rate_.get(), completion_rate_.get(),
        stalled_.get(), stalled_priority_.get(), time_to_enroll_.get(),
        priority_share_.get(), group_rate_.get(), funnels_.get()}) {
    s->Sweep();
  }
  ExportOverflow(snapshot.group_overflow);
}

void FiguresExporter::ExportProgram(const ProgramFigures& p) {
  const Labels base = {{"provider", p.provider}, {"program", p.program}};
  stalled_->Set(base, static_cast<double>(p.stalled_referrals));
  stalled_priority_->Set(base,
                         static_cast<double>(p.stalled_priority_referrals));
  for (const WindowFigures& w : p.windows) ExportWindow(p, w);
}

void FiguresExporter::ExportWindow(const ProgramFigures& p,
                                   const WindowFigures& w) {
  const std::string window = WindowLabel(w.days);
  Labels labels = {
      {"provider", p.provider}, {"program", p.program}, {"window", window}};
  if (auto v = w.enrollment_rate.value()) enrollment_rate_->Set(labels, *v);
  if (auto v = w.completion_rate.value()) completion_rate_->Set(labels, *v);
  for (int k = 0; k < kNumEventKinds; ++k) {
    Labels l = labels;
    l["type"] = std::string(kEventKindNames[k]);
    window_events_->Set(l, static_cast<double>(w.events[k]));
  }
  constexpr double kSecondsPerDay = 86400;
  const std::pair<const char*, const std::optional<int>*> percentiles[] = {
      {"50", &w.days_to_enroll_p50}, {"90", &w.days_to_enroll_p90}};
  for (const auto& [pct, days] : percentiles) {
    if (!days->has_value()) continue;
    Labels l = labels;
    l["percentile"] = pct;
    time_to_enroll_->Set(l, **days * kSecondsPerDay);
  }
  const std::pair<const char*, const Rate*> stages[] = {
      {"referral", &w.priority_share_referral},
      {"enrollment", &w.priority_share_enrollment}};
  for (const auto& [stage, rate] : stages) {
    if (!rate->value().has_value()) continue;
    Labels l = labels;
    l["stage"] = stage;
    priority_share_->Set(l, *rate->value());
  }
  ExportGroups(p, window, "enrollment_rate", w.enrollment_groups);
  ExportGroups(p, window, "completion_rate", w.completion_groups);
}

void FiguresExporter::ExportGroups(const ProgramFigures& p,
                                   const std::string& window,
                                   const char* metric,
                                   const std::vector<GroupRate>& groups) {
  for (const GroupRate& g : groups) {
    if (g.suppressed || !g.rate.value().has_value()) continue;
    group_rate_->Set({{"provider", p.provider},
                      {"program", p.program},
                      {"window", window},
                      {"metric", metric},
                      {"dimension", g.dimension},
                      {"group", g.group}},
                     *g.rate.value());
  }
}

void FiguresExporter::ExportOverflow(
    const std::vector<GroupOverflow>& overflow) {
  for (const GroupOverflow& o : overflow) {
    uint64_t& done = overflow_exported_[o.dimension];
    prometheus::Counter& c = overflow_family_.Add({{"dimension", o.dimension}});
    if (o.events > done) {
      c.Increment(static_cast<double>(o.events - done));
      done = o.events;
    }
  }
}

}  // namespace outcomes
