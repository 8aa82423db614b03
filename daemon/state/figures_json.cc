#include "daemon/state/figures_json.h"

#include <cstdio>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"

namespace outcomes {
namespace {

struct Entry {
  const PartitionFigures* partition;
  const ProgramFigures* program;
};

// provider -> its programs, first partition wins on duplicates (as in the
// exporter), ordered by provider then program.
std::map<std::string_view, std::vector<Entry>> ByProvider(
    const StoreSnapshot& snapshot) {
  std::map<std::string_view, std::vector<Entry>> out;
  std::set<std::pair<std::string_view, std::string_view>> seen;
  for (const PartitionFigures& part : snapshot.partitions) {
    for (const ProgramFigures& p : part.programs) {
      if (seen.insert({p.provider, p.program}).second) {
        out[p.provider].push_back({&part, &p});
      }
    }
  }
  return out;
}

std::string DayString(DayNumber day) {
  const absl::CivilDay d = CivilDayOf(day);
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", static_cast<int>(d.year()),
                d.month(), d.day());
  return buf;
}

Json RateJson(const Rate& r) {
  Json j = Json::object();
  j["value"] = JsonNumberOrNull(r.value());
  j["numerator"] = r.numerator;
  j["denominator"] = r.denominator;
  return j;
}

Json OptionalIntJson(const std::optional<int>& v) {
  return v.has_value() ? Json(*v) : Json(nullptr);
}

// The owning partition, and whether its state is rebuilt and caught up
// (figures of a partition that is not ready are partial).
void AddPartition(Json& j, const PartitionFigures& part) {
  j["topic"] = part.id.topic;
  j["partition"] = part.id.partition;
  j["ready"] = part.ready;
}

Json HeadlineJson(const ProgramFigures& p) {
  const WindowFigures& w = HeadlineWindow(p);
  Json j = Json::object();
  j["program"] = p.program;
  j["window"] = WindowLabel(w.days);
  j["complete"] = w.complete;
  j["referrals"] = w.events[kReferral];
  j["enrollments"] = w.events[kEnrollment];
  j["completions"] = w.events[kCompletion];
  j["enrollment_rate"] = RateJson(w.enrollment_rate);
  j["completion_rate"] = RateJson(w.completion_rate);
  j["stalled_referrals"] = p.stalled_referrals;
  return j;
}

void AddGroups(Json& array, const char* metric,
               const std::vector<GroupRate>& groups) {
  for (const GroupRate& g : groups) {
    Json j = Json::object();
    j["metric"] = metric;
    j["dimension"] = g.dimension;
    j["group"] = g.group;
    j["suppressed"] = g.suppressed;
    if (!g.suppressed) {
      j["value"] = JsonNumberOrNull(g.rate.value());
      j["numerator"] = g.rate.numerator;
      j["denominator"] = g.rate.denominator;
    }
    array.push_back(std::move(j));
  }
}

Json WindowJson(const WindowFigures& w) {
  Json j = Json::object();
  j["window"] = WindowLabel(w.days);
  j["complete"] = w.complete;
  Json events = Json::object();
  for (int k = 0; k < kNumEventKinds; ++k) {
    events[kEventKindNames[k]] = w.events[k];
  }
  j["events"] = std::move(events);
  j["enrollment_rate"] = RateJson(w.enrollment_rate);
  j["completion_rate"] = RateJson(w.completion_rate);
  j["days_to_enroll"] = {{"count", w.days_to_enroll_count},
                         {"p50", OptionalIntJson(w.days_to_enroll_p50)},
                         {"p90", OptionalIntJson(w.days_to_enroll_p90)}};
  j["priority_share"] = {{"referral", RateJson(w.priority_share_referral)},
                         {"enrollment", RateJson(w.priority_share_enrollment)}};
  Json groups = Json::array();
  AddGroups(groups, "enrollment_rate", w.enrollment_groups);
  AddGroups(groups, "completion_rate", w.completion_groups);
  j["groups"] = std::move(groups);
  return j;
}

}  // namespace

const WindowFigures& HeadlineWindow(const ProgramFigures& program) {
  for (const WindowFigures& w : program.windows) {
    if (w.days == 30) return w;
  }
  return program.windows.front();
}

Json ProgramFiguresJson(const PartitionFigures& partition,
                        const ProgramFigures& program) {
  Json j = Json::object();
  j["program"] = program.program;
  AddPartition(j, partition);
  j["stalled_referrals"] = program.stalled_referrals;
  j["stalled_priority_referrals"] = program.stalled_priority_referrals;
  j["history_complete"] = program.history_complete;
  Json windows = Json::array();
  for (const WindowFigures& w : program.windows) {
    windows.push_back(WindowJson(w));
  }
  j["windows"] = std::move(windows);
  return j;
}

Json ProvidersJson(const StoreSnapshot& snapshot) {
  Json j = Json::object();
  j["day"] = DayString(snapshot.today);
  Json providers = Json::array();
  for (const auto& [provider, entries] : ByProvider(snapshot)) {
    Json p = Json::object();
    p["provider"] = provider;
    AddPartition(p, *entries.front().partition);
    Json programs = Json::array();
    for (const Entry& e : entries) programs.push_back(HeadlineJson(*e.program));
    p["programs"] = std::move(programs);
    providers.push_back(std::move(p));
  }
  j["providers"] = std::move(providers);
  return j;
}

std::optional<Json> ProviderJson(const StoreSnapshot& snapshot,
                                 std::string_view provider_id) {
  const auto by_provider = ByProvider(snapshot);
  auto it = by_provider.find(provider_id);
  if (it == by_provider.end()) return std::nullopt;
  Json j = Json::object();
  j["provider"] = provider_id;
  j["day"] = DayString(snapshot.today);
  Json programs = Json::array();
  for (const Entry& e : it->second) {
    programs.push_back(ProgramFiguresJson(*e.partition, *e.program));
  }
  j["programs"] = std::move(programs);
  return j;
}

std::string RenderProvidersJson(const StoreSnapshot& snapshot) {
  return DumpJson(ProvidersJson(snapshot));
}

std::optional<std::string> RenderProviderJson(const StoreSnapshot& snapshot,
                                              std::string_view provider_id) {
  std::optional<Json> j = ProviderJson(snapshot, provider_id);
  if (!j.has_value()) return std::nullopt;
  return DumpJson(*j);
}

}  // namespace outcomes
