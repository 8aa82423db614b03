#include "daemon/state/day_rings.h"

#include <algorithm>
#include <bit>
#include <cstdlib>

namespace outcomes {
namespace {

// n value-initialized elements; no allocation (null) for none.
template <typename T>
std::unique_ptr<T[]> Allocate(size_t n) {
  return n == 0 ? nullptr : std::make_unique<T[]>(n);
}

}  // namespace

DayRings::DayRings(int horizon_days)
    : horizon_(static_cast<uint16_t>(horizon_days)) {}

int DayRings::ClaimNew(DayNumber day) {
  int slot = -1;
  if (dense()) {
    slot = Slot(day);
    DaySlot& s = slots_[slot];
    if (s.day != day) {
      if (s.day != kNoDay && s.day > day) return -1;
      s.day = day;
      s.counts = {};
      ClearSlot(slot);
    }
  } else {
    const int ring = Slot(day);
    int free = -1;
    for (int i = 0; i < capacity_ && slot < 0; ++i) {
      const DayNumber d = slots_[i].day;
      if (d == kNoDay) {
        if (free < 0) free = i;
      } else if (d == day) {
        slot = i;
      } else if (Slot(d) == ring) {
        if (d > day) return -1;  // the ring slot holds a newer day
        slot = i;                // an older day: cleared below
      }
    }
    if (slot < 0) slot = free >= 0 ? free : AddEntry(day);
    DaySlot& s = slots_[slot];
    if (s.day != day) {
      s.day = day;
      s.counts = {};
      ClearSlot(slot);
    }
  }
  // The memo stays valid until the slot's day changes or the entries move:
  // only ClaimSlot (for another day: not memoized), EvictBefore,
  // RestoreSlot and AddEntry do that, and they reset it.
  last_day_ = day;
  last_slot_ = static_cast<uint16_t>(slot);
  return slot;
}

int DayRings::AddEntry(DayNumber day) {
  const int used = capacity_;  // every entry is in use when this is called
  const int grown = std::max(1, 2 * used);
  Reshape(used >= kMaxSparseDays || grown >= horizon_ ? horizon_ : grown);
  return dense() ? Slot(day) : used;
}

int DayRings::FreeEntry(DayNumber day) {
  if (dense()) return Slot(day);
  for (int i = 0; i < capacity_; ++i) {
    if (slots_[i].day == kNoDay) return i;
  }
  return AddEntry(day);
}

void DayRings::Reshape(int capacity) {
  auto slots = Allocate<DaySlot>(capacity);
  auto counts =
      Allocate<GroupCounts>(static_cast<size_t>(capacity) * num_rings_);
  const bool to_dense = capacity == horizon_;
  int next = 0;
  for (int i = 0; i < capacity_; ++i) {
    if (slots_[i].day == kNoDay) continue;
    const int to = to_dense ? Slot(slots_[i].day) : next++;
    slots[to] = slots_[i];
    std::copy_n(group_counts_.get() + static_cast<size_t>(i) * num_rings_,
                num_rings_,
                counts.get() + static_cast<size_t>(to) * num_rings_);
  }
  slots_ = std::move(slots);
  group_counts_ = std::move(counts);
  capacity_ = static_cast<uint16_t>(capacity);
  last_day_ = kNoDay;
}

void DayRings::ClearSlot(int slot) {
  std::fill_n(group_counts_.get() + static_cast<size_t>(slot) * num_rings_,
              num_rings_, GroupCounts{});
}

size_t DayRings::AddGroupRing(GroupRingKey key) {
  const size_t n = num_rings_;
  auto counts = Allocate<GroupCounts>(capacity_ * (n + 1));
  for (size_t s = 0; s < capacity_; ++s) {
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
  ring_of_ = Allocate<uint16_t>(ring_of_size_);
  std::fill_n(ring_of_.get(), ring_of_size_, kNoRing);
  for (size_t r = 0; r < group_keys_.size(); ++r) {
    ring_of_[group_keys_[r]] = static_cast<uint16_t>(r);
  }
}

int64_t DayRings::Sum(int counter, DayNumber today, int n) const {
  int64_t sum = 0;
  if (dense()) {
    for (DayNumber d = today - n + 1; d <= today; ++d) {
      const DaySlot& s = slots_[Slot(d)];
      if (s.day == d) sum += s.counts[counter];
    }
    return sum;
  }
  for (int i = 0; i < capacity_; ++i) {
    const DaySlot& s = slots_[i];
    if (s.day != kNoDay && s.day > today - n && s.day <= today) {
      sum += s.counts[counter];
    }
  }
  return sum;
}

DayRings::GroupCounts DayRings::SumGroup(GroupRingKey key, DayNumber today,
                                         int n) const {
  GroupCounts sum = {};
  if (key >= ring_of_size_ || ring_of_[key] == kNoRing) return sum;
  const size_t r = ring_of_[key];
  const auto add = [&](int entry) {
    const GroupCounts& c = group_counts_[entry * num_rings_ + r];
    sum[0] += c[0];
    sum[1] += c[1];
  };
  if (dense()) {
    for (DayNumber d = today - n + 1; d <= today; ++d) {
      const int slot = Slot(d);
      if (slots_[slot].day == d) add(slot);
    }
    return sum;
  }
  for (int i = 0; i < capacity_; ++i) {
    const DayNumber d = slots_[i].day;
    if (d != kNoDay && d > today - n && d <= today) add(i);
  }
  return sum;
}

std::vector<GroupRingKey> DayRings::GroupKeys() const { return group_keys_; }

void DayRings::EvictBefore(DayNumber min_day) {
  int used = 0;
  for (int slot = 0; slot < capacity_; ++slot) {
    DaySlot& s = slots_[slot];
    if (s.day == kNoDay) continue;
    if (s.day >= min_day) {
      ++used;
      continue;
    }
    s = DaySlot{};
    ClearSlot(slot);
  }
  last_day_ = kNoDay;
  // Drop rings left all zero, keeping the others in order.
  const size_t n = num_rings_;
  std::vector<size_t> keep;
  for (size_t r = 0; r < n; ++r) {
    for (int s = 0; s < capacity_; ++s) {
      const GroupCounts& c = group_counts_[s * n + r];
      if (c[0] + c[1] != 0) {
        keep.push_back(r);
        break;
      }
    }
  }
  if (keep.size() != n) {
    auto counts = Allocate<GroupCounts>(capacity_ * keep.size());
    for (int s = 0; s < capacity_; ++s) {
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
  // Back to (a smaller) sparse array when few days are left.
  const int fit =
      used == 0 ? 0
                : static_cast<int>(std::bit_ceil(static_cast<unsigned>(used)));
  if (fit <= kMaxSparseDays / 2 && fit < horizon_ && 2 * fit <= capacity_) {
    Reshape(fit);
  }
}

bool DayRings::HasDataSince(DayNumber min_day) const {
  return std::any_of(
      slots_.get(), slots_.get() + capacity_,
      [&](const DaySlot& s) { return s.day != kNoDay && s.day >= min_day; });
}

bool DayRings::HasDataBetween(DayNumber min_day, DayNumber max_day) const {
  return std::any_of(
      slots_.get(), slots_.get() + capacity_, [&](const DaySlot& s) {
        return s.day != kNoDay && s.day >= min_day && s.day <= max_day;
      });
}

int DayRings::EntryOf(int slot) const {
  if (dense()) return slot;
  for (int i = 0; i < capacity_; ++i) {
    if (slots_[i].day != kNoDay && Slot(slots_[i].day) == slot) return i;
  }
  return -1;
}

DayNumber DayRings::slot_day(int slot) const {
  const int entry = EntryOf(slot);
  return entry < 0 ? kNoDay : slots_[entry].day;
}

const DayRings::DayCounts& DayRings::slot_counts(int slot) const {
  static constexpr DayCounts kZero = {};
  const int entry = EntryOf(slot);
  return entry < 0 ? kZero : slots_[entry].counts;
}

const DayRings::GroupCounts& DayRings::group_slot(GroupRingKey key,
                                                  int slot) const {
  if (key >= ring_of_size_ || ring_of_[key] == kNoRing) {
    std::abort();  // REQUIRES broken
  }
  static constexpr GroupCounts kZero = {};
  const int entry = EntryOf(slot);
  return entry < 0 ? kZero : group_counts_[entry * num_rings_ + ring_of_[key]];
}

void DayRings::RestoreSlot(int slot, DayNumber day, const DayCounts& counts) {
  int entry = EntryOf(slot);
  if (entry < 0) entry = FreeEntry(day);
  slots_[entry].day = day;
  slots_[entry].counts = counts;
  last_day_ = kNoDay;
}

void DayRings::RestoreGroupSlot(GroupRingKey key, int slot,
                                const GroupCounts& c) {
  const size_t ring = GroupRing(key);  // may add a ring: first
  const int entry = EntryOf(slot);
  if (entry < 0) return;  // no day: never read
  group_counts_[entry * num_rings_ + ring] = c;
}

}  // namespace outcomes
