#include "daemon/state/state_store.h"

#include <algorithm>
#include <utility>

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
  absl::MutexLock lock(&slot.mu);
  const GroupInterner& groups = slot.state.groups();
  for (int d = 0; d < groups.num_dimensions(); ++d) {
    retired_overflow_[d] += groups.overflow_events(d);
  }
}

void StateStore::Assign(const PartitionId& id) {
  absl::MutexLock lock(&mu_);
  if (partitions_.contains(id)) return;
  partitions_.emplace(id, std::make_shared<Slot>(PartitionState(settings_)));
}

absl::Status StateStore::Restore(const PartitionId& id,
                                 std::string_view checkpoint) {
  absl::StatusOr<PartitionState> state =
      PartitionState::Deserialize(checkpoint, settings_);
  if (!state.ok()) return state.status();
  absl::MutexLock lock(&mu_);
  auto& slot = partitions_[id];
  if (slot != nullptr) RetireOverflow(*slot);
  slot = std::make_shared<Slot>(std::move(*state));
  return absl::OkStatus();
}

void StateStore::Revoke(const PartitionId& id) {
  absl::MutexLock lock(&mu_);
  auto it = partitions_.find(id);
  if (it == partitions_.end()) return;
  RetireOverflow(*it->second);
  partitions_.erase(it);
}

std::vector<PartitionId> StateStore::Partitions() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<PartitionId> ids;
  for (const auto& [id, slot] : partitions_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

bool StateStore::Apply(const PartitionId& id, const v1::ServiceEvent& event,
                       DayNumber day) {
  absl::ReaderMutexLock lock(&mu_);
  auto it = partitions_.find(id);
  if (it == partitions_.end()) return false;
  Slot& slot = *it->second;
  absl::MutexLock slot_lock(&slot.mu);
  slot.state.Apply(event, day);
  return true;
}

bool StateStore::ApplyBatch(const PartitionId& id,
                            absl::Span<const DatedEvent> events) {
  absl::ReaderMutexLock lock(&mu_);
  auto it = partitions_.find(id);
  if (it == partitions_.end()) return false;
  Slot& slot = *it->second;
  absl::MutexLock slot_lock(&slot.mu);
  for (const DatedEvent& e : events) slot.state.Apply(*e.event, e.day);
  return true;
}

absl::StatusOr<std::string> StateStore::Checkpoint(
    const PartitionId& id) const {
  std::shared_ptr<Slot> slot;
  {
    absl::ReaderMutexLock lock(&mu_);
    slot = Find(id);
  }
  if (slot == nullptr) {
    return absl::NotFoundError(absl::StrCat("partition ", id.topic, "/",
                                            id.partition, " not assigned"));
  }
  absl::MutexLock slot_lock(&slot->mu);
  return slot->state.Serialize();
}

StoreSnapshot StateStore::Snapshot(DayNumber today) {
  std::vector<std::pair<PartitionId, std::shared_ptr<Slot>>> slots;
  {
    absl::ReaderMutexLock lock(&mu_);
    slots.assign(partitions_.begin(), partitions_.end());
  }
  std::sort(slots.begin(), slots.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  StoreSnapshot snap;
  snap.today = today;
  for (auto& [id, slot] : slots) {
    absl::MutexLock slot_lock(&slot->mu);
    if (slot->evicted_for != today) {
      slot->state.Evict(today);
      slot->evicted_for = today;
    }
    snap.partitions.push_back({id, slot->state.ComputeFigures(today),
                               slot->state.num_funnels(),
                               slot->state.dropped_events()});
  }
  snap.group_overflow = Overflow();
  return snap;
}

std::vector<GroupOverflow> StateStore::Overflow() const {
  std::vector<GroupOverflow> out;
  absl::ReaderMutexLock lock(&mu_);
  for (size_t d = 0; d < settings_.dimensions.size(); ++d) {
    out.push_back({settings_.dimensions[d], retired_overflow_[d]});
  }
  for (const auto& [id, slot] : partitions_) {
    absl::MutexLock slot_lock(&slot->mu);
    for (size_t d = 0; d < out.size(); ++d) {
      out[d].events += slot->state.groups().overflow_events(d);
    }
  }
  return out;
}

}  // namespace outcomes
