#include "daemon/state/figures_json.h"

#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "daemon/state/json_writer.h"

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

void WriteRate(JsonWriter& j, const Rate& r) {
  j.BeginObject();
  j.Key("value").OptionalDouble(r.value());
  j.Key("numerator").Int(r.numerator);
  j.Key("denominator").Int(r.denominator);
  j.EndObject();
}

// The owning partition, and whether its state is rebuilt and caught up
// (figures of a partition that is not ready are partial).
void WritePartition(JsonWriter& j, const PartitionFigures& part) {
  j.Key("topic").String(part.id.topic);
  j.Key("partition").Int(part.id.partition);
  j.Key("ready").Bool(part.ready);
}

void WriteHeadline(JsonWriter& j, const ProgramFigures& p) {
  const WindowFigures& w = HeadlineWindow(p);
  j.BeginObject();
  j.Key("program").String(p.program);
  j.Key("window").String(WindowLabel(w.days));
  j.Key("complete").Bool(w.complete);
  j.Key("referrals").Int(w.events[kReferral]);
  j.Key("enrollments").Int(w.events[kEnrollment]);
  j.Key("completions").Int(w.events[kCompletion]);
  j.Key("enrollment_rate");
  WriteRate(j, w.enrollment_rate);
  j.Key("completion_rate");
  WriteRate(j, w.completion_rate);
  j.Key("stalled_referrals").Int(p.stalled_referrals);
  j.EndObject();
}

void WriteGroups(JsonWriter& j, const char* metric,
                 const std::vector<GroupRate>& groups) {
  for (const GroupRate& g : groups) {
    j.BeginObject();
    j.Key("metric").String(metric);
    j.Key("dimension").String(g.dimension);
    j.Key("group").String(g.group);
    j.Key("suppressed").Bool(g.suppressed);
    if (!g.suppressed) {
      j.Key("value").OptionalDouble(g.rate.value());
      j.Key("numerator").Int(g.rate.numerator);
      j.Key("denominator").Int(g.rate.denominator);
    }
    j.EndObject();
  }
}

void WriteWindow(JsonWriter& j, const WindowFigures& w) {
  j.BeginObject();
  j.Key("window").String(WindowLabel(w.days));
  j.Key("complete").Bool(w.complete);
  j.Key("events").BeginObject();
  for (int k = 0; k < kNumEventKinds; ++k) {
    j.Key(kEventKindNames[k]).Int(w.events[k]);
  }
  j.EndObject();
  j.Key("enrollment_rate");
  WriteRate(j, w.enrollment_rate);
  j.Key("completion_rate");
  WriteRate(j, w.completion_rate);
  j.Key("days_to_enroll").BeginObject();
  j.Key("count").Int(w.days_to_enroll_count);
  j.Key("p50").OptionalInt(w.days_to_enroll_p50);
  j.Key("p90").OptionalInt(w.days_to_enroll_p90);
  j.EndObject();
  j.Key("priority_share").BeginObject();
  j.Key("referral");
  WriteRate(j, w.priority_share_referral);
  j.Key("enrollment");
  WriteRate(j, w.priority_share_enrollment);
  j.EndObject();
  j.Key("groups").BeginArray();
  WriteGroups(j, "enrollment_rate", w.enrollment_groups);
  WriteGroups(j, "completion_rate", w.completion_groups);
  j.EndArray();
  j.EndObject();
}

void WriteProgram(JsonWriter& j, const Entry& e) {
  const ProgramFigures& p = *e.program;
  j.BeginObject();
  j.Key("program").String(p.program);
  WritePartition(j, *e.partition);
  j.Key("stalled_referrals").Int(p.stalled_referrals);
  j.Key("stalled_priority_referrals").Int(p.stalled_priority_referrals);
  j.Key("history_complete").Bool(p.history_complete);
  j.Key("windows").BeginArray();
  for (const WindowFigures& w : p.windows) WriteWindow(j, w);
  j.EndArray();
  j.EndObject();
}

}  // namespace

const WindowFigures& HeadlineWindow(const ProgramFigures& program) {
  for (const WindowFigures& w : program.windows) {
    if (w.days == 30) return w;
  }
  return program.windows.front();
}

std::string RenderProvidersJson(const StoreSnapshot& snapshot) {
  JsonWriter j;
  j.BeginObject();
  j.Key("day").String(DayString(snapshot.today));
  j.Key("providers").BeginArray();
  for (const auto& [provider, entries] : ByProvider(snapshot)) {
    j.BeginObject();
    j.Key("provider").String(provider);
    WritePartition(j, *entries.front().partition);
    j.Key("programs").BeginArray();
    for (const Entry& e : entries) WriteHeadline(j, *e.program);
    j.EndArray();
    j.EndObject();
  }
  j.EndArray();
  j.EndObject();
  return j.str();
}

std::optional<std::string> RenderProviderJson(const StoreSnapshot& snapshot,
                                              std::string_view provider_id) {
  const auto by_provider = ByProvider(snapshot);
  auto it = by_provider.find(provider_id);
  if (it == by_provider.end()) return std::nullopt;
  JsonWriter j;
  j.BeginObject();
  j.Key("provider").String(provider_id);
  j.Key("day").String(DayString(snapshot.today));
  j.Key("programs").BeginArray();
  for (const Entry& e : it->second) WriteProgram(j, e);
  j.EndArray();
  j.EndObject();
  return j.str();
}

}  // namespace outcomes
