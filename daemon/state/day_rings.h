// Per-day event counters of one provider+program over the horizon
// (DESIGN.md §2 "day buckets"). Slot i of every ring holds the day d with
// d mod horizon == i; a slot is cleared lazily when a newer day claims it,
// so rings never need a timer and late events land in their own day.
//
// Thread safety: none; owned by one PartitionState.
#ifndef OUTCOMESD_DAEMON_STATE_DAY_RINGS_H_
#define OUTCOMESD_DAEMON_STATE_DAY_RINGS_H_

#include <array>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "daemon/day.h"
#include "daemon/state/event_kind.h"

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
  bool Claim(DayNumber day);
  // REQUIRES: Claim(day) returned true.
  void Add(DayNumber day, int counter) { counts_[Slot(day)][counter]++; }
  // Counts a completion (completion=true) or disenrollment of a subgroup.
  // REQUIRES: Claim(day) returned true.
  void AddGroup(DayNumber day, GroupRingKey key, bool completion);

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

  // Raw access for checkpoints. kNoDay marks an unused slot.
  static constexpr DayNumber kNoDay = INT32_MIN;
  int horizon() const { return static_cast<int>(slot_day_.size()); }
  DayNumber slot_day(int slot) const { return slot_day_[slot]; }
  const DayCounts& slot_counts(int slot) const { return counts_[slot]; }
  const GroupCounts& group_slot(GroupRingKey key, int slot) const;
  void RestoreSlot(int slot, DayNumber day, const DayCounts& counts);
  void RestoreGroupSlot(GroupRingKey key, int slot, const GroupCounts& c);

 private:
  int Slot(DayNumber day) const;
  std::vector<GroupCounts>& GroupRing(GroupRingKey key);

  std::vector<DayNumber> slot_day_;  // which day each slot holds
  std::vector<DayCounts> counts_;
  absl::flat_hash_map<GroupRingKey, std::vector<GroupCounts>> groups_;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_DAY_RINGS_H_
