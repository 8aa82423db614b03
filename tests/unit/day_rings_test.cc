// DayRings: the sparse and dense representations count exactly as a plain
// per-day map does (ring-slot rule included: a day at least a horizon older
// than one kept is refused), across growth, eviction and checkpoint access.
#include "daemon/state/day_rings.h"

#include <cstdint>
#include <map>
#include <random>

#include "gtest/gtest.h"

namespace outcomes {
namespace {

constexpr int kHorizon = 120;

// The reference: day -> counts, with the same ring-slot rule.
struct Model {
  std::map<DayNumber, DayRings::DayCounts> days;
  std::map<std::pair<GroupRingKey, DayNumber>, DayRings::GroupCounts> groups;

  static int Slot(DayNumber d) {
    return ((d % kHorizon) + kHorizon) % kHorizon;
  }
  bool Claim(DayNumber day) {
    for (auto it = days.begin(); it != days.end(); ++it) {
      if (it->first == day || Slot(it->first) != Slot(day)) continue;
      if (it->first > day) return false;
      Forget(it->first);
      break;
    }
    days[day];  // zero counts when new
    return true;
  }
  void Forget(DayNumber d) {
    days.erase(d);
    std::erase_if(groups, [d](const auto& kv) { return kv.first.second == d; });
  }
  int64_t Sum(int counter, DayNumber today, int n) const {
    int64_t sum = 0;
    for (const auto& [d, c] : days) {
      if (d > today - n && d <= today) sum += c[counter];
    }
    return sum;
  }
  DayRings::GroupCounts SumGroup(GroupRingKey key, DayNumber today,
                                 int n) const {
    DayRings::GroupCounts sum = {};
    for (const auto& [k, c] : groups) {
      if (k.first == key && k.second > today - n && k.second <= today) {
        sum[0] += c[0];
        sum[1] += c[1];
      }
    }
    return sum;
  }
};

void ExpectSame(const DayRings& rings, const Model& model, DayNumber today) {
  for (int n : {1, 7, 30, kHorizon}) {
    for (int counter = 0; counter < kNumDayCounters; ++counter) {
      ASSERT_EQ(rings.Sum(counter, today, n), model.Sum(counter, today, n))
          << "counter " << counter << " n " << n;
    }
    for (GroupRingKey key : {MakeGroupRingKey(0, 1), MakeGroupRingKey(1, 3)}) {
      ASSERT_EQ(rings.SumGroup(key, today, n), model.SumGroup(key, today, n));
    }
  }
  int used = 0;
  for (int s = 0; s < kHorizon; ++s) {
    const DayNumber d = rings.slot_day(s);
    if (d == DayRings::kNoDay) {
      EXPECT_EQ(rings.slot_counts(s), DayRings::DayCounts{});
      continue;
    }
    ++used;
    ASSERT_TRUE(model.days.contains(d));
    EXPECT_EQ(rings.slot_counts(s), model.days.at(d));
  }
  EXPECT_EQ(used, static_cast<int>(model.days.size()));
}

TEST(DayRingsTest, FewDaysStaySparseAndManyTurnDense) {
  DayRings rings(kHorizon);
  EXPECT_EQ(rings.capacity(), 0);  // nothing allocated before a day
  const DayNumber today = 20000;
  ASSERT_TRUE(rings.Claim(today));
  rings.Add(today, 0);
  EXPECT_EQ(rings.capacity(), 1);
  for (int d = 1; d < DayRings::kMaxSparseDays; ++d) {
    ASSERT_TRUE(rings.Claim(today - d));
  }
  EXPECT_EQ(rings.capacity(), DayRings::kMaxSparseDays);
  ASSERT_TRUE(rings.Claim(today - DayRings::kMaxSparseDays));
  EXPECT_EQ(rings.capacity(), kHorizon);  // dense
  EXPECT_EQ(rings.Sum(0, today, kHorizon), 1);
  rings.EvictBefore(today - 2);  // 3 days left: sparse again
  EXPECT_EQ(rings.capacity(), 4);
  EXPECT_EQ(rings.Sum(0, today, kHorizon), 1);
  rings.EvictBefore(today + 1);
  EXPECT_EQ(rings.capacity(), 0);
  EXPECT_FALSE(rings.HasDataSince(today - kHorizon));
}

TEST(DayRingsTest, RefusesADayAHorizonOlderThanOneKept) {
  DayRings rings(kHorizon);
  ASSERT_TRUE(rings.Claim(20000));
  EXPECT_FALSE(rings.Claim(20000 - kHorizon));  // same ring slot, older
  ASSERT_TRUE(rings.Claim(20000 + kHorizon));   // same slot, newer: replaces
  EXPECT_EQ(rings.slot_day(Model::Slot(20000)), 20000 + kHorizon);
}

TEST(DayRingsTest, RandomOperationsMatchThePlainModel) {
  std::mt19937 rng(7);
  for (int round = 0; round < 40; ++round) {
    DayRings rings(kHorizon);
    Model model;
    DayNumber today = 20000;
    // Rounds differ in how many days they use: sparse, both, dense.
    const int spread = 1 + round * 6;
    for (int op = 0; op < 3000; ++op) {
      const int what = static_cast<int>(rng() % 100);
      if (what < 2) {
        today += static_cast<int>(rng() % 5);
      } else if (what < 4) {
        const DayNumber min_day = today - static_cast<int>(rng() % kHorizon);
        rings.EvictBefore(min_day);
        std::erase_if(model.days,
                      [&](const auto& kv) { return kv.first < min_day; });
        std::erase_if(model.groups, [&](const auto& kv) {
          return kv.first.second < min_day;
        });
      } else {
        const DayNumber day =
            today - static_cast<int>(rng() % static_cast<unsigned>(spread));
        const bool claimed = model.Claim(day);
        ASSERT_EQ(rings.Claim(day), claimed) << "day " << day;
        if (!claimed) continue;
        const int counter = static_cast<int>(rng() % kNumDayCounters);
        rings.Add(day, counter);
        model.days[day][counter]++;
        if (rng() % 3 == 0) {
          const GroupRingKey key =
              rng() % 2 ? MakeGroupRingKey(0, 1) : MakeGroupRingKey(1, 3);
          const bool completion = rng() % 2 == 0;
          rings.AddGroup(day, key, completion);
          model.groups[{key, day}][completion ? 0 : 1]++;
        }
      }
    }
    ExpectSame(rings, model, today);
    // A copy through the checkpoint access holds the same counts.
    DayRings copy(kHorizon);
    for (int s = 0; s < kHorizon; ++s) {
      if (rings.slot_day(s) == DayRings::kNoDay) continue;
      copy.RestoreSlot(s, rings.slot_day(s), rings.slot_counts(s));
    }
    for (GroupRingKey key : rings.GroupKeys()) {
      for (int s = 0; s < kHorizon; ++s) {
        if (rings.slot_day(s) == DayRings::kNoDay) continue;
        copy.RestoreGroupSlot(key, s, rings.group_slot(key, s));
      }
    }
    ExpectSame(copy, model, today);
  }
}

}  // namespace
}  // namespace outcomes
