#include "daemon/state/partition_state.h"

#include <algorithm>
#include <utility>

#include "absl/hash/hash.h"
#include "daemon/state/client_hash.h"
#include "daemon/state/program_figures.h"

namespace outcomes {
namespace {

// Funnel days are 16-bit offsets; the epoch sits this far before the first
// day seen so that days up to ~89 years either side fit.
constexpr DayNumber kEpochOffset = 32768;
constexpr DayNumber kMaxFunnelDay = 65535;

}  // namespace

size_t PartitionState::KeyHash::operator()(const KeyView& k) const {
  return absl::HashOf(k.provider, k.program);
}

PartitionState::PartitionState(const StateSettings& settings)
    : settings_(settings),
      groups_(settings.dimensions, settings.max_groups_per_dimension) {}

ProgramState& PartitionState::Program(std::string_view provider,
                                      std::string_view program) {
  auto it = programs_.find(KeyView{provider, program});
  if (it != programs_.end()) return *it->second;
  auto state =
      std::make_unique<ProgramState>(provider, program, settings_.horizon_days);
  ProgramState& ref = *state;
  programs_.emplace(Key{std::string(provider), std::string(program)},
                    std::move(state));
  return ref;
}

bool PartitionState::EnsureEpoch(DayNumber day) {
  if (!epoch_.has_value()) epoch_ = day - kEpochOffset;
  const int64_t offset = static_cast<int64_t>(day) - *epoch_;
  return offset >= 0 && offset <= kMaxFunnelDay;
}

void PartitionState::CountGroups(ProgramState& p, const v1::ServiceEvent& event,
                                 DayNumber day, bool completion) {
  for (int d = 0; d < groups_.num_dimensions(); ++d) {
    const uint8_t g = groups_.GroupOf(event, d);
    if (g != 0) p.rings.AddGroup(day, MakeGroupRingKey(d, g), completion);
  }
}

void PartitionState::Apply(const v1::ServiceEvent& event, DayNumber day) {
  const int kind = EventKindOf(event.type());
  if (kind < 0 || !EnsureEpoch(day)) {
    ++dropped_;
    return;
  }
  ProgramState& p = Program(event.provider_id(), event.program_id());
  if (!p.rings.Claim(day)) {
    ++dropped_;
    return;
  }
  const bool priority = event.priority_groups_size() > 0;
  p.rings.Add(day, kind);
  switch (kind) {
    case kReferral:
      if (priority) p.rings.Add(day, kPriorityReferral);
      p.funnels.AddReferral(
          ClientHash(event.client_key()),
          FunnelReferral::Make(Encode(day), groups_.ProfileOf(event),
                               priority));
      break;
    case kEnrollment:
      if (priority) p.rings.Add(day, kPriorityEnrollment);
      p.funnels.AddEnrollment(ClientHash(event.client_key()), Encode(day));
      break;
    case kCompletion:
    case kDisenrollment:
      CountGroups(p, event, day, kind == kCompletion);
      break;
    default:
      break;
  }
}

void PartitionState::Evict(DayNumber today) {
  if (!epoch_.has_value()) return;
  const DayNumber min_day = today - settings_.horizon_days + 1;
  const int64_t min_offset = static_cast<int64_t>(min_day) - *epoch_;
  for (auto it = programs_.begin(); it != programs_.end();) {
    ProgramState& p = *it->second;
    p.rings.EvictBefore(min_day);
    if (min_offset > kMaxFunnelDay) {
      p.funnels = FunnelTable();
    } else if (min_offset > 0) {
      p.funnels.EvictBefore(static_cast<FunnelDay>(min_offset));
    }
    if (p.funnels.size() == 0 && !p.rings.HasDataSince(min_day)) {
      programs_.erase(it++);
    } else {
      ++it;
    }
  }
}

std::vector<ProgramFigures> PartitionState::ComputeFigures(
    DayNumber today) const {
  std::vector<ProgramFigures> out;
  const DayNumber min_day = today - settings_.horizon_days + 1;
  const FigureInputs inputs{settings_, groups_, today, epoch_.value_or(0)};
  for (const auto& [key, program] : programs_) {
    if (!program->rings.HasDataSince(min_day)) continue;
    out.push_back(ComputeProgramFigures(*program, inputs));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.provider, a.program) < std::tie(b.provider, b.program);
  });
  return out;
}

size_t PartitionState::num_funnels() const {
  size_t n = 0;
  for (const auto& [key, program] : programs_) n += program->funnels.size();
  return n;
}

}  // namespace outcomes
