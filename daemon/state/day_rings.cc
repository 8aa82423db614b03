#include "daemon/state/day_rings.h"

#include <algorithm>

namespace outcomes {

DayRings::DayRings(int horizon_days)
    : slot_day_(horizon_days, kNoDay), counts_(horizon_days) {}

int DayRings::Slot(DayNumber day) const {
  const int h = horizon();
  return ((day % h) + h) % h;
}

bool DayRings::Claim(DayNumber day) {
  const int slot = Slot(day);
  if (slot_day_[slot] == day) return true;
  if (slot_day_[slot] != kNoDay && slot_day_[slot] > day) return false;
  slot_day_[slot] = day;
  counts_[slot] = {};
  for (auto& [key, ring] : groups_) ring[slot] = {};
  return true;
}

std::vector<DayRings::GroupCounts>& DayRings::GroupRing(GroupRingKey key) {
  auto it = groups_.find(key);
  if (it == groups_.end()) {
    it = groups_.emplace(key, std::vector<GroupCounts>(horizon())).first;
  }
  return it->second;
}

void DayRings::AddGroup(DayNumber day, GroupRingKey key, bool completion) {
  GroupRing(key)[Slot(day)][completion ? 0 : 1]++;
}

int64_t DayRings::Sum(int counter, DayNumber today, int n) const {
  int64_t sum = 0;
  for (DayNumber d = today - n + 1; d <= today; ++d) {
    const int slot = Slot(d);
    if (slot_day_[slot] == d) sum += counts_[slot][counter];
  }
  return sum;
}

DayRings::GroupCounts DayRings::SumGroup(GroupRingKey key, DayNumber today,
                                         int n) const {
  GroupCounts sum = {};
  auto it = groups_.find(key);
  if (it == groups_.end()) return sum;
  for (DayNumber d = today - n + 1; d <= today; ++d) {
    const int slot = Slot(d);
    if (slot_day_[slot] != d) continue;
    sum[0] += it->second[slot][0];
    sum[1] += it->second[slot][1];
  }
  return sum;
}

std::vector<GroupRingKey> DayRings::GroupKeys() const {
  std::vector<GroupRingKey> keys;
  keys.reserve(groups_.size());
  for (const auto& [key, ring] : groups_) keys.push_back(key);
  return keys;
}

void DayRings::EvictBefore(DayNumber min_day) {
  for (int slot = 0; slot < horizon(); ++slot) {
    if (slot_day_[slot] == kNoDay || slot_day_[slot] >= min_day) continue;
    slot_day_[slot] = kNoDay;
    counts_[slot] = {};
    for (auto& [key, ring] : groups_) ring[slot] = {};
  }
  absl::erase_if(groups_, [](const auto& entry) {
    return std::all_of(entry.second.begin(), entry.second.end(),
                       [](const GroupCounts& c) { return c[0] + c[1] == 0; });
  });
}

bool DayRings::HasDataSince(DayNumber min_day) const {
  return std::any_of(slot_day_.begin(), slot_day_.end(),
                     [&](DayNumber d) { return d != kNoDay && d >= min_day; });
}

const DayRings::GroupCounts& DayRings::group_slot(GroupRingKey key,
                                                  int slot) const {
  return groups_.at(key)[slot];
}

void DayRings::RestoreSlot(int slot, DayNumber day, const DayCounts& counts) {
  slot_day_[slot] = day;
  counts_[slot] = counts;
}

void DayRings::RestoreGroupSlot(GroupRingKey key, int slot,
                                const GroupCounts& c) {
  GroupRing(key)[slot] = c;
}

}  // namespace outcomes
