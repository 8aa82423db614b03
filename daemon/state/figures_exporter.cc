#include "daemon/state/figures_exporter.h"

#include <initializer_list>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace outcomes {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;

// The rendered families, in the order they are listed (the order the
// registry used to list them in).
enum FamilyIndex {
  kWindowEvents,
  kEnrollmentRate,
  kCompletionRate,
  kStalled,
  kStalledPriority,
  kTimeToEnroll,
  kPriorityShare,
  kGroupRate,
  kFunnels,
  kNumFamilies,
};

constexpr std::pair<const char*, const char*> kFamilies[kNumFamilies] = {
    {"outcomes_window_events",
     "Events of a type with occurred_at in the window (days, agency time "
     "zone)."},
    {"outcomes_enrollment_rate",
     "Share of referrals of age enroll_within+1 .. enroll_within+N days whose "
     "client enrolled within enroll_within days."},
    {"outcomes_completion_rate",
     "Completions / (completions + disenrollments) in the window."},
    {"outcomes_stalled_referrals",
     "Matured referrals within the horizon whose client has no enrollment."},
    {"outcomes_stalled_priority_referrals",
     "Stalled referrals of priority-population clients."},
    {"outcomes_time_to_enroll_seconds",
     "Nearest-rank percentile of the time from referral to enrollment in "
     "seconds (whole days x 86400), enrollments in the window."},
    {"outcomes_priority_share",
     "Share of the stage's events in the window whose client has a priority "
     "group."},
    {"outcomes_group_rate",
     "A rate for one subgroup; absent below min_cell (small-cell "
     "suppression)."},
    {"outcomes_state_funnels", "Live client funnels held for a partition."},
};

using Families = std::vector<MetricFamily>;

// Appends one series; `labels` are sorted by name, as the text format of
// prometheus-cpp's own families has them.
void Add(MetricFamily& family,
         std::initializer_list<ClientMetric::Label> labels, double value) {
  ClientMetric& m = family.metric.emplace_back();
  m.label.assign(labels);
  m.gauge.value = value;
}

void RenderGroups(Families& out, const ProgramFigures& p,
                  const std::string& window, const char* metric,
                  const std::vector<GroupRate>& groups) {
  for (const GroupRate& g : groups) {
    if (g.suppressed || !g.rate.value().has_value()) continue;
    Add(out[kGroupRate],
        {{"dimension", g.dimension},
         {"group", g.group},
         {"metric", metric},
         {"program", p.program},
         {"provider", p.provider},
         {"window", window}},
        *g.rate.value());
  }
}

void RenderWindow(Families& out, const ProgramFigures& p,
                  const WindowFigures& w) {
  const std::string window = WindowLabel(w.days);
  if (auto v = w.enrollment_rate.value()) {
    Add(out[kEnrollmentRate],
        {{"program", p.program}, {"provider", p.provider}, {"window", window}},
        *v);
  }
  if (auto v = w.completion_rate.value()) {
    Add(out[kCompletionRate],
        {{"program", p.program}, {"provider", p.provider}, {"window", window}},
        *v);
  }
  for (int k = 0; k < kNumEventKinds; ++k) {
    Add(out[kWindowEvents],
        {{"program", p.program},
         {"provider", p.provider},
         {"type", std::string(kEventKindNames[k])},
         {"window", window}},
        static_cast<double>(w.events[k]));
  }
  constexpr double kSecondsPerDay = 86400;
  const std::pair<const char*, const std::optional<int>*> percentiles[] = {
      {"50", &w.days_to_enroll_p50}, {"90", &w.days_to_enroll_p90}};
  for (const auto& [pct, days] : percentiles) {
    if (!days->has_value()) continue;
    Add(out[kTimeToEnroll],
        {{"percentile", pct},
         {"program", p.program},
         {"provider", p.provider},
         {"window", window}},
        **days * kSecondsPerDay);
  }
  const std::pair<const char*, const Rate*> stages[] = {
      {"referral", &w.priority_share_referral},
      {"enrollment", &w.priority_share_enrollment}};
  for (const auto& [stage, rate] : stages) {
    if (!rate->value().has_value()) continue;
    Add(out[kPriorityShare],
        {{"program", p.program},
         {"provider", p.provider},
         {"stage", stage},
         {"window", window}},
        *rate->value());
  }
  RenderGroups(out, p, window, "enrollment_rate", w.enrollment_groups);
  RenderGroups(out, p, window, "completion_rate", w.completion_groups);
}

void RenderProgram(Families& out, const ProgramFigures& p) {
  Add(out[kStalled], {{"program", p.program}, {"provider", p.provider}},
      static_cast<double>(p.stalled_referrals));
  Add(out[kStalledPriority], {{"program", p.program}, {"provider", p.provider}},
      static_cast<double>(p.stalled_priority_referrals));
  for (const WindowFigures& w : p.windows) RenderWindow(out, p, w);
}

Families Render(const StoreSnapshot& snapshot) {
  Families out(kNumFamilies);
  for (int f = 0; f < kNumFamilies; ++f) {
    out[f].name = kFamilies[f].first;
    out[f].help = kFamilies[f].second;
    out[f].type = prometheus::MetricType::Gauge;
  }
  // Room for every series up front (the text of thousands of providers is
  // hundreds of thousands of them).
  size_t windows = 0;
  for (const PartitionFigures& part : snapshot.partitions) {
    for (const ProgramFigures& p : part.programs) windows += p.windows.size();
  }
  out[kWindowEvents].metric.reserve(windows * kNumEventKinds);
  for (FamilyIndex f : {kEnrollmentRate, kCompletionRate, kPriorityShare}) {
    out[f].metric.reserve(windows);
  }
  absl::flat_hash_set<std::pair<std::string_view, std::string_view>> rendered;
  for (const PartitionFigures& part : snapshot.partitions) {
    Add(out[kFunnels],
        {{"partition", absl::StrCat(part.id.partition)},
         {"topic", part.id.topic}},
        static_cast<double>(part.live_funnels));
    // A partition being rebuilt has partial figures: render none (a gap in
    // the graphs, not a dip a contract manager could take for real).
    if (!part.ready) continue;
    for (const ProgramFigures& p : part.programs) {
      if (rendered.emplace(p.provider, p.program).second) {
        RenderProgram(out, p);
      }
    }
  }
  // As prometheus-cpp's families: one without series is not listed.
  std::erase_if(out, [](const MetricFamily& f) { return f.metric.empty(); });
  return out;
}

}  // namespace

FiguresExporter::FiguresExporter(prometheus::Registry& registry)
    : overflow_family_(
          prometheus::BuildCounter()
              .Name("outcomes_group_overflow_total")
              .Help("Events whose subgroup value was folded into no group "
                    "because the dimension reached its cap of values.")
              .Register(registry)) {}

FiguresExporter::~FiguresExporter() = default;

void FiguresExporter::Update(std::shared_ptr<const StoreSnapshot> snapshot) {
  {
    absl::MutexLock lock(&overflow_mu_);
    ExportOverflow(snapshot->group_overflow);
  }
  absl::MutexLock lock(&mu_);
  latest_ = std::move(snapshot);
}

std::vector<prometheus::MetricFamily> FiguresExporter::Collect() const {
  std::shared_ptr<const StoreSnapshot> snapshot;
  {
    absl::MutexLock lock(&mu_);
    snapshot = latest_;
  }
  if (snapshot == nullptr) return {};
  return Render(*snapshot);
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
