#include "daemon/state/partition_state.h"

#include <algorithm>
#include <utility>

#include "absl/base/macros.h"
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

bool PartitionState::ProgramIndex::Entry::Matches(
    std::string_view keys, std::string_view provider,
    std::string_view program) const {
  if (provider_size != provider.size() || program_size != program.size()) {
    return false;
  }
  const std::string_view stored = provider.size() + program.size() <= kInlineKey
                                      ? std::string_view(key, kInlineKey)
                                      : keys.substr(key_at);
  return stored.substr(0, provider.size()) == provider &&
         stored.substr(provider.size(), program.size()) == program;
}

ProgramState* PartitionState::ProgramIndex::Find(
    uint64_t hash, std::string_view provider, std::string_view program) const {
  if (entries_.empty()) return nullptr;
  const size_t mask = entries_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Entry& e = entries_[i];
    if (e.state == nullptr) return nullptr;
    if (e.hash == hash && e.Matches(keys_, provider, program)) return e.state;
  }
}

void PartitionState::ProgramIndex::Place(const Entry& entry) {
  const size_t mask = entries_.size() - 1;
  size_t i = entry.hash & mask;
  while (entries_[i].state != nullptr) i = (i + 1) & mask;
  entries_[i] = entry;
}

void PartitionState::ProgramIndex::Insert(uint64_t hash, ProgramState* state) {
  if (2 * (size_ + 1) > entries_.size()) {
    std::vector<Entry> old = std::move(entries_);
    entries_.assign(std::max<size_t>(16, 2 * old.size()), Entry{});
    for (const Entry& e : old) {
      if (e.state != nullptr) Place(e);
    }
  }
  Entry e;
  e.hash = hash;
  e.state = state;
  e.provider_size = static_cast<uint32_t>(state->provider.size());
  e.program_size = static_cast<uint32_t>(state->program.size());
  const std::string key = state->provider + state->program;
  if (key.size() <= kInlineKey) {
    key.copy(e.key, key.size());
  } else {
    e.key_at = static_cast<uint32_t>(keys_.size());
    keys_ += key;
  }
  Place(e);
  ++size_;
}

void PartitionState::ProgramIndex::Clear() {
  entries_.clear();
  keys_.clear();
  size_ = 0;
}

uint64_t PartitionState::ProgramHash(std::string_view provider,
                                     std::string_view program) {
  // Unkeyed (client_hash.h): provider and program ids are not personal
  // and are metric labels anyway; this hash only places them in index_
  // (never stored). Fast on short ids, well mixed.
  const uint64_t h = StableIdHash(provider);
  return StableIdHash(program) ^
         (h + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

ProgramState& PartitionState::Program(std::string_view provider,
                                      std::string_view program) {
  const uint64_t hash = ProgramHash(provider, program);
  if (ProgramState* p = index_.Find(hash, provider, program)) return *p;
  auto state =
      std::make_unique<ProgramState>(provider, program, settings_.horizon_days);
  ProgramState& ref = *state;
  programs_.emplace(Key{std::string(provider), std::string(program)},
                    std::move(state));
  index_.Insert(hash, &ref);
  return ref;
}

void PartitionState::IndexPrograms() {
  index_.Clear();
  for (const auto& [key, p] : programs_) {
    index_.Insert(ProgramHash(p->provider, p->program), p.get());
  }
}

bool PartitionState::EnsureEpoch(DayNumber day) {
  if (!epoch_.has_value()) epoch_ = day - kEpochOffset;
  const int64_t offset = static_cast<int64_t>(day) - *epoch_;
  return offset >= 0 && offset <= kMaxFunnelDay;
}

void PartitionState::Apply(const EventView& event, DayNumber day) {
  const int kind = EventKindOf(event.type());
  if (kind < 0 || !EnsureEpoch(day)) {
    ++dropped_;
    return;
  }
  // Staged only when its day slot surely takes it: no event admitted so
  // far is a horizon or more newer (the slot holds `day` or an older day).
  if (static_cast<int64_t>(day) + settings_.horizon_days <= max_day_) {
    Flush();
    ApplyNow(event, day, kind);
    return;
  }
  max_day_ = std::max(max_day_, day);
  // Stage 1: everything that reads the event, or must follow its order.
  Pending e;
  e.program = &Program(event.provider_id(), event.program_id());
  e.day = day;
  e.kind = static_cast<uint8_t>(kind);
  Read(event, e);
  Enqueue(e);
}

void PartitionState::Read(const EventView& event, Pending& e) {
  e.priority = event.priority_groups_size() > 0;
  e.client = settings_.client_hasher.Hash(event.client_key());
  e.code = 0;
  e.value = 0;
  switch (e.kind) {
    case kReferral:
      groups_.GroupsOf(event, e.groups.data());
      e.funnel_day = Encode(e.day);
      e.profile_bits = FunnelReferral::Make(
                           e.funnel_day,
                           groups_.ProfileOfGroups(e.groups.data()), e.priority)
                           .profile_bits;
      break;
    case kEnrollment:
      e.funnel_day = Encode(e.day);
      break;
    case kCompletion:
    case kDisenrollment:
      groups_.GroupsOf(event, e.groups.data());
      break;
    default:
      e.code = InternCode(event.outcome_code());
      e.value = event.outcome_value();
      break;
  }
}

OutcomeCodeId PartitionState::InternCode(std::string_view code) {
  if (auto it = code_ids_.find(absl::string_view(code.data(), code.size()));
      it != code_ids_.end())
    return it->second;
  if (outcome_codes_.size() >= kMaxOutcomeCodes) return kOtherCode;
  const auto id = static_cast<OutcomeCodeId>(outcome_codes_.size());
  outcome_codes_.emplace_back(code);
  code_ids_.emplace(std::string(code), id);
  return id;
}

void PartitionState::Enqueue(const Pending& e) {
  PendingQueue& q = pending_;
  if (q.size == PendingQueue::kCapacity) {
    Count(q.at(0));
    q.begin = (q.begin + 1) % PendingQueue::kCapacity;
    --q.size;
  }
  q.at(q.size++) = e;
  // Its first cache line and its payment log's: stage 2 reads them.
  PrefetchLine(e.program);
  PrefetchLine(&e.program->payments);
  if (q.size > PendingQueue::kStageDepth) {
    Prefetch(q.at(q.size - 1 - PendingQueue::kStageDepth));
  }
}

void PartitionState::Prefetch(const Pending& e) {
  ProgramState& p = *e.program;
  p.payments.Prefetch(e.kind == kOutcome);
  switch (e.kind) {
    case kReferral:
    case kEnrollment:
      p.funnels.Prefetch(e.client);
      p.rings.Prefetch(e.day, /*groups=*/false);
      break;
    case kCompletion:
    case kDisenrollment:
      p.rings.Prefetch(e.day, /*groups=*/true);
      break;
    default:
      p.rings.Prefetch(e.day, /*groups=*/false);
      break;
  }
}

void PartitionState::Count(const Pending& e) const {
  ProgramState& p = *e.program;
  const int slot = p.rings.ClaimSlot(e.day);
  if (slot < 0) {  // not expected: Apply checked max_day_
    ++dropped_;
    return;
  }
  p.rings.AddAt(slot, e.kind);
  if (e.kind == kOutcome) {
    p.payments.AddOutcome({e.client, e.value, e.day, e.code, e.priority});
  } else {
    p.payments.Add({e.client, e.day, e.kind, e.priority});
  }
  switch (e.kind) {
    case kReferral:
      if (e.priority) p.rings.AddAt(slot, kPriorityReferral);
      p.funnels.AddReferral(e.client, {e.funnel_day, e.profile_bits});
      break;
    case kEnrollment:
      if (e.priority) p.rings.AddAt(slot, kPriorityEnrollment);
      p.funnels.AddEnrollment(e.client, e.funnel_day);
      break;
    case kCompletion:
    case kDisenrollment:
      for (int d = 0; d < groups_.num_dimensions(); ++d) {
        if (e.groups[d] != 0) {
          p.rings.AddGroupAt(slot, MakeGroupRingKey(d, e.groups[d]),
                             e.kind == kCompletion);
        }
      }
      break;
    default:
      break;
  }
}

void PartitionState::Flush() const {
  PendingQueue& q = pending_;
  for (; q.size > 0; --q.size) {
    Count(q.at(0));
    q.begin = (q.begin + 1) % PendingQueue::kCapacity;
  }
}

void PartitionState::ApplyNow(const EventView& event, DayNumber day, int kind) {
  ProgramState& p = Program(event.provider_id(), event.program_id());
  const int slot = p.rings.ClaimSlot(day);
  if (slot < 0) {
    ++dropped_;
    return;
  }
  Pending e;
  e.program = &p;
  e.day = day;
  e.kind = static_cast<uint8_t>(kind);
  Read(event, e);
  Count(e);  // claims the slot again: a no-op
}

void PartitionState::Evict(DayNumber today) {
  Flush();
  if (!epoch_.has_value()) return;
  const DayNumber min_day = today - settings_.horizon_days + 1;
  const int64_t min_offset = static_cast<int64_t>(min_day) - *epoch_;
  bool erased = false;
  for (auto it = programs_.begin(); it != programs_.end();) {
    ProgramState& p = *it->second;
    p.rings.EvictBefore(min_day);
    p.payments.EvictBefore(min_day);
    if (min_offset > kMaxFunnelDay) {
      p.funnels = FunnelTable();
    } else if (min_offset > 0) {
      p.funnels.EvictBefore(static_cast<FunnelDay>(min_offset));
    }
    if (p.funnels.size() == 0 && !p.rings.HasDataSince(min_day)) {
      programs_.erase(it++);
      erased = true;
    } else {
      ++it;
    }
  }
  if (erased) IndexPrograms();
}

std::vector<ProgramFigures> PartitionState::ComputeFigures(
    DayNumber today) const {
  return Compute(today, nullptr);
}

std::vector<ProgramFigures> PartitionState::ComputeProviderFigures(
    std::string_view provider, DayNumber today) const {
  return Compute(today, &provider);
}

std::optional<EventCounts> PartitionState::EventsBetween(
    std::string_view provider, std::string_view program, DayNumber from,
    DayNumber to) const {
  ABSL_ASSERT(from <= to);
  Flush();
  const ProgramState* p =
      index_.Find(ProgramHash(provider, program), provider, program);
  if (p == nullptr) return std::nullopt;
  from = std::max(from, to - settings_.horizon_days + 1);
  EventCounts counts = {};
  for (int k = 0; k < kNumEventKinds; ++k) {
    counts[k] = p->rings.Sum(k, to, to - from + 1);
  }
  return counts;
}

std::vector<ProgramFigures> PartitionState::Compute(
    DayNumber today, const std::string_view* provider) const {
  Flush();
  std::vector<ProgramFigures> out;
  const DayNumber min_day = today - settings_.horizon_days + 1;
  const FigureInputs inputs{settings_, groups_, today, epoch_.value_or(0)};
  for (const auto& [key, program] : programs_) {
    if (provider != nullptr && key.provider != *provider) continue;
    // Data after `today` is not counted yet (figures as of a past day).
    if (!program->rings.HasDataBetween(min_day, today)) continue;
    out.push_back(ComputeProgramFigures(*program, inputs));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.provider, a.program) < std::tie(b.provider, b.program);
  });
  return out;
}

std::vector<ProviderUnits> PartitionState::CountUnits(
    std::string_view program, const std::vector<UnitQuery>& queries) const {
  Flush();
  std::vector<UnitFilter> filters;
  std::vector<bool> matchable;  // false: an outcome code never seen
  for (const UnitQuery& q : queries) {
    UnitFilter f{q.kind,        std::nullopt, q.priority_only,
                 q.value_above, q.per_client, q.from,
                 q.to};
    bool ok = true;
    if (!q.outcome_code.empty()) {
      auto it = code_ids_.find(q.outcome_code);
      ok = it != code_ids_.end();
      if (ok) f.code = it->second;
    }
    filters.push_back(f);
    matchable.push_back(ok);
  }
  std::vector<ProviderUnits> out;
  for (const auto& [key, p] : programs_) {
    if (key.program != program) continue;
    ProviderUnits& units = out.emplace_back();
    units.provider = key.provider;
    for (size_t i = 0; i < filters.size(); ++i) {
      units.counts.push_back(matchable[i] ? p->payments.Count(filters[i])
                                          : UnitCount{});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.provider < b.provider;
  });
  return out;
}

std::vector<std::string> PartitionState::Providers() const {
  std::vector<std::string> out;
  out.reserve(programs_.size());
  for (const auto& [key, program] : programs_) out.push_back(key.provider);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

size_t PartitionState::num_funnels() const {
  Flush();
  size_t n = 0;
  for (const auto& [key, program] : programs_) n += program->funnels.size();
  return n;
}

}  // namespace outcomes
