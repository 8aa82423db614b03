#include "daemon/state/state_store.h"

#include <algorithm>
#include <utility>

#include "absl/base/macros.h"
#include "absl/strings/str_cat.h"

namespace outcomes {

StateStore::StateStore(const StateSettings& settings)
    : settings_(settings), retired_overflow_(settings.dimensions.size(), 0) {}

std::shared_ptr<StateStore::Slot> StateStore::Find(
    const PartitionId& id) const {
  auto it = partitions_.find(id);
  return it == partitions_.end() ? nullptr : it->second;
}

void StateStore::RetireOverflow(Slot& slot) {
  const GroupInterner& groups = slot.state.groups();
  for (int d = 0; d < groups.num_dimensions(); ++d) {
    retired_overflow_[d] += groups.overflow_events(d);
  }
}

void StateStore::EvictSlot(Slot& slot, DayNumber today) {
  if (slot.evicted_for == today) return;
  const size_t programs = slot.state.num_programs();
  slot.state.Evict(today);
  slot.evicted_for = today;
  if (slot.state.num_programs() < programs) {
    eviction_generation_.fetch_add(1, std::memory_order_release);
  }
}

void StateStore::Assign(const PartitionId& id) {
  std::unique_lock lock(mu_);
  if (partitions_.contains(id)) return;
  partitions_.emplace(id, std::make_shared<Slot>(PartitionState(settings_)));
}

absl::Status StateStore::Restore(const PartitionId& id,
                                 std::string_view checkpoint) {
  absl::StatusOr<PartitionState> state =
      PartitionState::Deserialize(checkpoint, settings_);
  if (!state.ok()) return state.status();
  std::unique_lock lock(mu_);
  auto& slot = partitions_[id];
  if (slot == nullptr) {
    slot = std::make_shared<Slot>(std::move(*state));
    return absl::OkStatus();
  }
  // Replaced in place, so that the partition's writers stay bound.
  std::lock_guard slot_lock(slot->mu);
  RetireOverflow(*slot);
  slot->state = std::move(*state);
  slot->evicted_for = INT32_MIN;
  return absl::OkStatus();
}

void StateStore::Revoke(const PartitionId& id) {
  std::unique_lock lock(mu_);
  auto it = partitions_.find(id);
  if (it == partitions_.end()) return;
  {
    Slot& slot = *it->second;
    std::lock_guard slot_lock(slot.mu);
    RetireOverflow(slot);
    slot.revoked = true;
    // Writers may keep the slot alive: free the state now.
    slot.state = PartitionState(settings_);
  }
  partitions_.erase(it);
}

std::vector<PartitionId> StateStore::Partitions() const {
  std::shared_lock lock(mu_);
  std::vector<PartitionId> ids;
  for (const auto& [id, slot] : partitions_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<std::string> StateStore::Providers(const PartitionId& id) const {
  std::shared_ptr<Slot> slot;
  {
    std::shared_lock lock(mu_);
    slot = Find(id);
  }
  if (slot == nullptr) return {};
  std::lock_guard slot_lock(slot->mu);
  if (slot->revoked) return {};
  return slot->state.Providers();
}

bool StateStore::Apply(const PartitionId& id, const EventView& event,
                       DayNumber day) {
  std::shared_lock lock(mu_);
  auto it = partitions_.find(id);
  if (it == partitions_.end()) return false;
  Slot& slot = *it->second;
  std::lock_guard slot_lock(slot.mu);
  slot.state.Apply(event, day);
  return true;
}

bool StateStore::ApplyBatch(const PartitionId& id,
                            absl::Span<const DatedEvent> events) {
  std::shared_lock lock(mu_);
  auto it = partitions_.find(id);
  if (it == partitions_.end()) return false;
  Slot& slot = *it->second;
  std::lock_guard slot_lock(slot.mu);
  EventView view;
  for (const DatedEvent& e : events) {
    view.Assign(*e.event);
    slot.state.Apply(view, e.day);
  }
  return true;
}

StateStore::PartitionWriter StateStore::Writer(const PartitionId& id) const {
  std::shared_lock lock(mu_);
  return PartitionWriter(Find(id));
}

bool StateStore::PartitionWriter::Apply(const EventView& event,
                                        DayNumber day) const {
  if (slot_ == nullptr) return false;
  std::lock_guard lock(slot_->mu);
  if (slot_->revoked) return false;
  slot_->state.Apply(event, day);
  return true;
}

StateStore::PartitionWriter::Locked StateStore::PartitionWriter::Lock() const {
  if (slot_ == nullptr) return Locked(nullptr, nullptr);
  slot_->mu.lock();
  if (slot_->revoked) return Locked(&slot_->mu, nullptr);
  return Locked(&slot_->mu, &slot_->state);
}

StateStore::PartitionWriter::Locked::~Locked() {
  if (mu_ != nullptr) mu_->unlock();
}

absl::StatusOr<std::string> StateStore::Checkpoint(
    const PartitionId& id) const {
  std::shared_ptr<Slot> slot;
  {
    std::shared_lock lock(mu_);
    slot = Find(id);
  }
  if (slot == nullptr) {
    return absl::NotFoundError(absl::StrCat("partition ", id.topic, "/",
                                            id.partition, " not assigned"));
  }
  std::lock_guard slot_lock(slot->mu);
  return slot->state.Serialize();
}

std::vector<std::pair<PartitionId, std::shared_ptr<StateStore::Slot>>>
StateStore::SortedSlots() const {
  std::vector<std::pair<PartitionId, std::shared_ptr<Slot>>> slots;
  {
    std::shared_lock lock(mu_);
    slots.assign(partitions_.begin(), partitions_.end());
  }
  std::sort(slots.begin(), slots.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return slots;
}

void StateStore::Evict(DayNumber today) {
  for (auto& [id, slot] : SortedSlots()) {
    std::lock_guard slot_lock(slot->mu);
    if (!slot->revoked) EvictSlot(*slot, today);
  }
}

StoreSnapshot StateStore::Snapshot(DayNumber today) {
  StoreSnapshot snap;
  snap.today = today;
  for (auto& [id, slot] : SortedSlots()) {
    std::lock_guard slot_lock(slot->mu);
    if (slot->revoked) continue;  // revoked since SortedSlots()
    EvictSlot(*slot, today);
    snap.partitions.push_back({id, slot->state.ComputeFigures(today),
                               slot->state.num_funnels(),
                               slot->state.dropped_events(), slot->ready});
    MarkCompleteness(slot->history_from, today,
                     snap.partitions.back().programs);
  }
  snap.group_overflow = Overflow();
  return snap;
}

std::vector<PartitionUnits> StateStore::CountUnits(
    std::string_view program, const std::vector<UnitQuery>& queries) const {
  std::vector<PartitionUnits> out;
  for (auto& [id, slot] : SortedSlots()) {
    std::lock_guard slot_lock(slot->mu);
    if (slot->revoked) continue;
    out.push_back({id, slot->ready, slot->history_from,
                   slot->state.CountUnits(program, queries)});
  }
  return out;
}

void StateStore::SetStatus(const PartitionId& id, bool ready,
                           DayNumber history_from) {
  std::shared_ptr<Slot> slot;
  {
    std::shared_lock lock(mu_);
    slot = Find(id);
  }
  if (slot == nullptr) return;
  std::lock_guard slot_lock(slot->mu);
  slot->ready = ready;
  slot->history_from = history_from;
}

StoreSnapshot StateStore::ProviderSnapshot(std::string_view provider,
                                           DayNumber as_of,
                                           DayNumber now) const {
  ABSL_ASSERT(as_of <= now);
  StoreSnapshot snap;
  snap.today = as_of;
  const DayNumber evicted_before = now - settings_.horizon_days + 1;
  for (auto& [id, slot] : SortedSlots()) {
    std::lock_guard slot_lock(slot->mu);
    if (slot->revoked) continue;
    std::vector<ProgramFigures> programs =
        slot->state.ComputeProviderFigures(provider, as_of);
    if (programs.empty()) continue;
    MarkCompleteness(std::max(slot->history_from, evicted_before), as_of,
                     programs);
    snap.partitions.push_back({id, std::move(programs),
                               slot->state.num_funnels(),
                               slot->state.dropped_events(), slot->ready});
  }
  return snap;
}

std::optional<EventCounts> StateStore::EventsBetween(std::string_view provider,
                                                     std::string_view program,
                                                     DayNumber from,
                                                     DayNumber to) const {
  for (auto& [id, slot] : SortedSlots()) {
    std::lock_guard slot_lock(slot->mu);
    if (slot->revoked) continue;
    std::optional<EventCounts> counts =
        slot->state.EventsBetween(provider, program, from, to);
    if (counts.has_value()) return counts;
  }
  return std::nullopt;
}

void StateStore::MarkCompleteness(DayNumber kept_from, DayNumber today,
                                  std::vector<ProgramFigures>& programs) const {
  MarkHistoryFrom(settings_.horizon_days, settings_.enroll_within_days, today,
                  kept_from, programs);
}

std::vector<GroupOverflow> StateStore::Overflow() const {
  std::vector<GroupOverflow> out;
  std::shared_lock lock(mu_);
  for (size_t d = 0; d < settings_.dimensions.size(); ++d) {
    out.push_back({settings_.dimensions[d], retired_overflow_[d]});
  }
  for (const auto& [id, slot] : partitions_) {
    std::lock_guard slot_lock(slot->mu);
    for (size_t d = 0; d < out.size(); ++d) {
      out[d].events += slot->state.groups().overflow_events(d);
    }
  }
  return out;
}

}  // namespace outcomes
