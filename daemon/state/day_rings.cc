#include "daemon/state/day_rings.h"

#include <algorithm>
#include <cstdlib>

namespace outcomes {

DayRings::DayRings(int horizon_days)
    : slots_(std::make_unique<DaySlot[]>(horizon_days)),
      horizon_(horizon_days) {}

int DayRings::ClaimSlot(DayNumber day) {
  if (day == last_day_) return last_slot_;  // claimed by the last call
  const int slot = Slot(day);
  DaySlot& s = slots_[slot];
  if (s.day != day) {
    if (s.day != kNoDay && s.day > day) return -1;
    s.day = day;
    s.counts = {};
    ClearSlot(slot);
  }
  // The memo stays valid until the slot's day changes: only ClaimSlot
  // (for another day: not memoized), EvictBefore and RestoreSlot do that.
  last_day_ = day;
  last_slot_ = slot;
  return slot;
}

void DayRings::ClearSlot(int slot) {
  std::fill_n(group_counts_.get() + static_cast<size_t>(slot) * num_rings_,
              num_rings_, GroupCounts{});
}

size_t DayRings::AddGroupRing(GroupRingKey key) {
  const size_t n = num_rings_;
  auto counts = std::make_unique<GroupCounts[]>(horizon_ * (n + 1));
  for (int s = 0; s < horizon_; ++s) {
    std::copy_n(group_counts_.get() + s * n, n, counts.get() + s * (n + 1));
  }
  group_counts_ = std::move(counts);
  group_keys_.push_back(key);
  num_rings_ = static_cast<uint16_t>(n + 1);
  IndexRings();
  return n;
}

void DayRings::IndexRings() {
  GroupRingKey max_key = 0;
  for (GroupRingKey k : group_keys_) max_key = std::max(max_key, k);
  ring_of_size_ = group_keys_.empty() ? 0 : static_cast<uint16_t>(max_key + 1);
  ring_of_ = std::make_unique<uint16_t[]>(ring_of_size_);
  std::fill_n(ring_of_.get(), ring_of_size_, kNoRing);
  for (size_t r = 0; r < group_keys_.size(); ++r) {
    ring_of_[group_keys_[r]] = static_cast<uint16_t>(r);
  }
}

int64_t DayRings::Sum(int counter, DayNumber today, int n) const {
  int64_t sum = 0;
  for (DayNumber d = today - n + 1; d <= today; ++d) {
    const DaySlot& s = slots_[Slot(d)];
    if (s.day == d) sum += s.counts[counter];
  }
  return sum;
}

DayRings::GroupCounts DayRings::SumGroup(GroupRingKey key, DayNumber today,
                                         int n) const {
  GroupCounts sum = {};
  if (key >= ring_of_size_ || ring_of_[key] == kNoRing) return sum;
  const size_t r = ring_of_[key];
  for (DayNumber d = today - n + 1; d <= today; ++d) {
    const int slot = Slot(d);
    if (slots_[slot].day != d) continue;
    const GroupCounts& c = group_counts_[slot * num_rings_ + r];
    sum[0] += c[0];
    sum[1] += c[1];
  }
  return sum;
}

std::vector<GroupRingKey> DayRings::GroupKeys() const { return group_keys_; }

void DayRings::EvictBefore(DayNumber min_day) {
  for (int slot = 0; slot < horizon_; ++slot) {
    DaySlot& s = slots_[slot];
    if (s.day == kNoDay || s.day >= min_day) continue;
    s = DaySlot{};
    ClearSlot(slot);
  }
  last_day_ = kNoDay;
  // Drop rings left all zero, keeping the others in order.
  const size_t n = num_rings_;
  std::vector<size_t> keep;
  for (size_t r = 0; r < n; ++r) {
    for (int s = 0; s < horizon_; ++s) {
      const GroupCounts& c = group_counts_[s * n + r];
      if (c[0] + c[1] != 0) {
        keep.push_back(r);
        break;
      }
    }
  }
  if (keep.size() == n) return;
  auto counts = std::make_unique<GroupCounts[]>(horizon_ * keep.size());
  for (int s = 0; s < horizon_; ++s) {
    for (size_t k = 0; k < keep.size(); ++k) {
      counts[s * keep.size() + k] = group_counts_[s * n + keep[k]];
    }
  }
  std::vector<GroupRingKey> keys;
  for (size_t r : keep) keys.push_back(group_keys_[r]);
  group_counts_ = std::move(counts);
  group_keys_ = std::move(keys);
  num_rings_ = static_cast<uint16_t>(group_keys_.size());
  IndexRings();
}

bool DayRings::HasDataSince(DayNumber min_day) const {
  return std::any_of(
      slots_.get(), slots_.get() + horizon_,
      [&](const DaySlot& s) { return s.day != kNoDay && s.day >= min_day; });
}

bool DayRings::HasDataBetween(DayNumber min_day, DayNumber max_day) const {
  return std::any_of(
      slots_.get(), slots_.get() + horizon_, [&](const DaySlot& s) {
        return s.day != kNoDay && s.day >= min_day && s.day <= max_day;
      });
}

const DayRings::GroupCounts& DayRings::group_slot(GroupRingKey key,
                                                  int slot) const {
  if (key >= ring_of_size_ || ring_of_[key] == kNoRing) {
    std::abort();  // REQUIRES broken
  }
  return group_counts_[slot * num_rings_ + ring_of_[key]];
}

void DayRings::RestoreSlot(int slot, DayNumber day, const DayCounts& counts) {
  slots_[slot].day = day;
  slots_[slot].counts = counts;
  last_day_ = kNoDay;
}

void DayRings::RestoreGroupSlot(GroupRingKey key, int slot,
                                const GroupCounts& c) {
  const size_t ring = GroupRing(key);  // may add a ring: first
  group_counts_[slot * num_rings_ + ring] = c;
}

}  // namespace outcomes
