// Per-day event counters of one provider+program over the horizon
// (docs/design.md, "Parts and layers": day buckets). Ring slot i holds the
// day d with d mod horizon == i; a slot is cleared lazily when a newer day
// claims it, so rings never need a timer and late events land in their own
// day.
//
// Two representations with the same behaviour: a provider+program with few
// days in use (at most kMaxSparseDays) keeps only those days, in a small
// array searched linearly ("sparse": 32 bytes a day instead of 32 bytes a
// day of the horizon); past that it switches to one entry per ring slot
// ("dense", entry i = ring slot i), and back when eviction leaves few days.
// Entry indices (ClaimSlot, AddAt) are positions in whichever array is in
// use; the raw access for checkpoints speaks of ring slots in both.
//
// Layout (per-event speed): an entry's day and its counters share 32 bytes
// (one cache line half); the subgroup rings are one array indexed
// [entry][ring], so all subgroup counts of one day are adjacent.
//
// Thread safety: none; owned by one PartitionState.
#ifndef OUTCOMESD_DAEMON_STATE_DAY_RINGS_H_
#define OUTCOMESD_DAEMON_STATE_DAY_RINGS_H_

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "daemon/base/day.h"
#include "daemon/state/event_kind.h"
#include "daemon/state/prefetch.h"

namespace outcomes {

// Counters kept per day: one per event kind, plus the priority-client
// referrals and enrollments (priority_share).
enum DayCounter : int {
  kPriorityReferral = kNumEventKinds,
  kPriorityEnrollment = kNumEventKinds + 1,
};
inline constexpr int kNumDayCounters = kNumEventKinds + 2;

// Key of a subgroup ring: (dimension index << 8) | group id (1..255).
using GroupRingKey = uint16_t;
inline GroupRingKey MakeGroupRingKey(int dimension, int group) {
  return static_cast<GroupRingKey>((dimension << 8) | group);
}

class DayRings {
 public:
  using DayCounts = std::array<uint32_t, kNumDayCounters>;
  // Completions [0] and disenrollments [1] of one subgroup on one day.
  using GroupCounts = std::array<uint32_t, 2>;

  // REQUIRES: horizon_days >= 1.
  explicit DayRings(int horizon_days);

  // Claims the slot of `day` (clearing an older day's counts). Returns
  // false, changing nothing, when the slot holds a newer day, i.e. `day`
  // is at least a horizon older than data already kept.
  bool Claim(DayNumber day) { return ClaimSlot(day) >= 0; }
  // Claim(day), returning the entry index for AddAt/AddGroupAt, or -1.
  int ClaimSlot(DayNumber day) {
    if (day == last_day_) return last_slot_;  // claimed by the last call
    return ClaimNew(day);
  }
  // REQUIRES: Claim(day) returned true.
  void Add(DayNumber day, int counter) { AddAt(ClaimSlot(day), counter); }
  // REQUIRES: `slot` came from ClaimSlot, with no Claim/Evict since.
  void AddAt(int slot, int counter) { slots_[slot].counts[counter]++; }
  // Counts a completion (completion=true) or disenrollment of a subgroup.
  // REQUIRES: Claim(day) returned true.
  void AddGroup(DayNumber day, GroupRingKey key, bool completion) {
    AddGroupAt(ClaimSlot(day), key, completion);
  }
  // Starts loading what ClaimSlot(day), AddAt and (groups) AddGroupAt will
  // touch; a hint, no effect on contents.
  void Prefetch(DayNumber day, bool groups) const {
    if (capacity_ == 0) return;
    const int slot = day == last_day_ ? last_slot_ : dense() ? Slot(day) : 0;
    PrefetchLine(&slots_[slot]);
    if (groups && num_rings_ != 0) {
      PrefetchLine(group_counts_.get() +
                   static_cast<size_t>(slot) * num_rings_);
      PrefetchLine(ring_of_.get());
    }
  }
  // REQUIRES: as AddAt.
  void AddGroupAt(int slot, GroupRingKey key, bool completion) {
    const size_t ring = GroupRing(key);  // may add a ring: first
    group_counts_[static_cast<size_t>(slot) * num_rings_ + ring]
                 [completion ? 0 : 1]++;
  }

  // Sum of `counter` over days today-(n-1) .. today. REQUIRES n <= horizon.
  int64_t Sum(int counter, DayNumber today, int n) const;
  // Sums of a subgroup's completions/disenrollments over the same days.
  GroupCounts SumGroup(GroupRingKey key, DayNumber today, int n) const;
  // Keys of the subgroup rings that exist (in no particular order).
  std::vector<GroupRingKey> GroupKeys() const;

  // Forgets days before min_day; drops subgroup rings left empty.
  void EvictBefore(DayNumber min_day);
  // True if any day >= min_day has been claimed.
  bool HasDataSince(DayNumber min_day) const;
  // True if any day in [min_day, max_day] has been claimed.
  bool HasDataBetween(DayNumber min_day, DayNumber max_day) const;

  // Raw access for checkpoints, by ring slot (0 <= slot < horizon), the
  // same in both representations. kNoDay marks an unused slot; an unused
  // slot's counts are zero.
  static constexpr DayNumber kNoDay = INT32_MIN;
  int horizon() const { return horizon_; }
  DayNumber slot_day(int slot) const;
  const DayCounts& slot_counts(int slot) const;
  // REQUIRES: the ring of `key` exists (GroupKeys()).
  const GroupCounts& group_slot(GroupRingKey key, int slot) const;
  // REQUIRES: slot == day mod horizon.
  void RestoreSlot(int slot, DayNumber day, const DayCounts& counts);
  // Counts of a slot with no day are never read: dropped.
  void RestoreGroupSlot(GroupRingKey key, int slot, const GroupCounts& c);

  // Days kept in the sparse representation; the dense one from then on.
  static constexpr int kMaxSparseDays = 16;
  // Entries allocated (memory: 32 bytes each, plus 8 per subgroup ring):
  // horizon() when dense.
  int capacity() const { return capacity_; }

 private:
  struct alignas(32) DaySlot {
    DayNumber day = kNoDay;  // which day the slot holds
    DayCounts counts = {};
  };
  static_assert(sizeof(DaySlot) == 32);
  static constexpr uint16_t kNoRing = 0xffff;

  int Slot(DayNumber day) const {
    const int slot = day % horizon_;
    return slot < 0 ? slot + horizon_ : slot;
  }
  bool dense() const { return capacity_ == horizon_; }
  // ClaimSlot past the memo.
  int ClaimNew(DayNumber day);
  // The entry holding ring slot `slot`, or -1.
  int EntryOf(int slot) const;
  // A free entry for `day`, whose ring slot no entry holds (sparse: the
  // first unused one, else AddEntry).
  int FreeEntry(DayNumber day);
  // REQUIRES: sparse with every entry in use. Grows the sparse array, or
  // turns it dense; returns the entry for `day`.
  int AddEntry(DayNumber day);
  // Moves the entries in use into `capacity` entries (horizon_: dense).
  void Reshape(int capacity);
  // Index of the ring of `key`, created (all zero) when missing.
  size_t GroupRing(GroupRingKey key) {
    if (key < ring_of_size_ && ring_of_[key] != kNoRing) return ring_of_[key];
    return AddGroupRing(key);
  }
  size_t AddGroupRing(GroupRingKey key);
  void ClearSlot(int slot);
  // Re-creates ring_of_ from group_keys_.
  void IndexRings();

  // Hot members first: what an event touches fits in 40 bytes (the owning
  // ProgramState keeps them in its first cache line).
  std::unique_ptr<DaySlot[]> slots_;  // [capacity_]
  // Subgroup rings: ring r counts group_keys_[r]; its entry e is
  // group_counts_[e * num_rings_ + r]. ring_of_[key] = r (or kNoRing) for
  // key < ring_of_size_.
  std::unique_ptr<GroupCounts[]> group_counts_;
  std::unique_ptr<uint16_t[]> ring_of_;
  uint16_t horizon_;
  uint16_t capacity_ = 0;  // sparse (< horizon_) or dense (== horizon_)
  // Memo of the last ClaimSlot: most events fall on today.
  DayNumber last_day_ = kNoDay;
  uint16_t last_slot_ = 0;
  uint16_t num_rings_ = 0;
  uint16_t ring_of_size_ = 0;
  std::vector<GroupRingKey> group_keys_;  // [num_rings_]
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_DAY_RINGS_H_
