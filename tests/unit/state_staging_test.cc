// The per-event speed machinery of the partition state must not show:
//   - FunnelTable's open-addressing table against a plain map, through
//     growth, spills and eviction rebuilds;
//   - PartitionState's staged Apply (counting a few events late) against
//     the same state counting every event at once, including events past
//     the horizon (dropped; their subgroup values must not be interned);
//   - StateStore::PartitionWriter (plain and Lock()) against
//     StateStore::Apply, through revocation and restore.
#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "daemon/state/funnel_table.h"
#include "daemon/state/partition_state.h"
#include "daemon/state/state_store.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

// --- FunnelTable -----------------------------------------------------------

struct RefFunnel {
  std::vector<std::pair<FunnelDay, uint16_t>> referrals;  // day, bits
  std::vector<FunnelDay> enrollments;
};

std::map<uint64_t, RefFunnel> Contents(const FunnelTable& t) {
  std::map<uint64_t, RefFunnel> out;
  t.ForEach([&](uint64_t client, const FunnelView& f) {
    EXPECT_FALSE(out.contains(client)) << "client listed twice";
    RefFunnel& r = out[client];
    for (FunnelReferral x : f.referrals) {
      r.referrals.push_back({x.day, x.profile_bits});
    }
    r.enrollments.assign(f.enrollments.begin(), f.enrollments.end());
  });
  return out;
}

bool operator==(const RefFunnel& a, const RefFunnel& b) {
  return a.referrals == b.referrals && a.enrollments == b.enrollments;
}

TEST(FunnelTableTest, MatchesAPlainMapThroughGrowthSpillsAndEviction) {
  std::mt19937_64 rng(7);
  FunnelTable table;
  std::map<uint64_t, RefFunnel> ref;
  // Few distinct hash values in the low bits would be no test of probing:
  // clients are random 64-bit values, a quarter of them with equal high
  // bits (same home slot).
  std::vector<uint64_t> clients;
  for (int i = 0; i < 5000; ++i) {
    const uint64_t r = rng();
    clients.push_back(i % 4 == 0 ? (0xabcdef0000000000ULL | (r >> 24)) : r);
  }
  FunnelDay min_day = 0;
  for (int step = 0; step < 200'000; ++step) {
    const uint64_t client = clients[rng() % clients.size()];
    const FunnelDay day = static_cast<FunnelDay>(min_day + rng() % 120);
    if (rng() % 3 != 0) {
      const auto bits = static_cast<uint16_t>(rng() & 0xffff);
      table.AddReferral(client, {day, bits});
      auto& v = ref[client].referrals;
      auto at = std::upper_bound(
          v.begin(), v.end(), day,
          [](FunnelDay d, const auto& x) { return d < x.first; });
      v.insert(at, {day, bits});
    } else {
      table.AddEnrollment(client, day);
      auto& v = ref[client].enrollments;
      v.insert(std::upper_bound(v.begin(), v.end(), day), day);
    }
    if (step % 20'000 == 19'999) {
      min_day = static_cast<FunnelDay>(min_day + 40);
      table.EvictBefore(min_day);
      for (auto it = ref.begin(); it != ref.end();) {
        auto& r = it->second.referrals;
        r.erase(r.begin(), std::find_if(r.begin(), r.end(), [&](auto& x) {
                  return x.first >= min_day;
                }));
        auto& e = it->second.enrollments;
        e.erase(e.begin(), std::lower_bound(e.begin(), e.end(), min_day));
        if (r.empty() && e.empty()) {
          it = ref.erase(it);
        } else {
          ++it;
        }
      }
      ASSERT_EQ(table.size(), ref.size()) << step;
      ASSERT_TRUE(Contents(table) == ref) << step;
      // Re-sized to its survivors: 5/8 full (at most 3/4 before it grows).
      EXPECT_LE(table.size(), table.capacity() * 3 / 4);
      EXPECT_GE(table.size() + 1, table.capacity() / 2);
    }
  }
  EXPECT_GT(table.spilled(), 0u);
  EXPECT_EQ(table.size(), ref.size());
  EXPECT_TRUE(Contents(table) == ref);
  table.EvictBefore(static_cast<FunnelDay>(min_day + 200));
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.spilled(), 0u);
  EXPECT_EQ(table.capacity(), 0u);
}

// --- PartitionState staging ------------------------------------------------

v1::ServiceEvent Event(std::mt19937_64& rng, int seq) {
  static const char* kRace[] = {"a", "b", "c", "d", "e", "f", "", ""};
  v1::ServiceEvent e;
  e.set_event_id("e" + std::to_string(seq));
  e.set_type(static_cast<v1::EventType>(1 + rng() % 5));
  e.set_provider_id(rng() % 3 ? "p1" : "p2");
  e.set_program_id(rng() % 2 ? "a" : "b");
  e.set_client_key("client-" + std::to_string(rng() % 40));
  if (rng() % 4 == 0) e.add_priority_groups("disability");
  const std::string race = kRace[rng() % 8];
  if (!race.empty()) (*e.mutable_attributes())["race"] = race;
  if (rng() % 2) (*e.mutable_attributes())["sex"] = rng() % 2 ? "f" : "m";
  return e;
}

void ExpectSameState(const PartitionState& a, const PartitionState& b,
                     DayNumber today) {
  EXPECT_EQ(a.dropped_events(), b.dropped_events());
  EXPECT_EQ(a.num_funnels(), b.num_funnels());
  EXPECT_EQ(a.num_programs(), b.num_programs());
  for (int d = 0; d < a.groups().num_dimensions(); ++d) {
    EXPECT_EQ(a.groups().group_names(d), b.groups().group_names(d)) << d;
    EXPECT_EQ(a.groups().overflow_events(d), b.groups().overflow_events(d));
  }
  EXPECT_EQ(a.groups().profiles(), b.groups().profiles());
  EXPECT_EQ(a.ComputeFigures(today), b.ComputeFigures(today));
  EXPECT_EQ(a.Serialize().size(), b.Serialize().size());
}

// `eager` reads the state after every event, which carries out the queued
// work at once; `staged` is left to its stages. Some events lie a horizon
// or more before the newest one (dropped: REQUIRES broken), some in the
// future; small group caps make interning order visible.
TEST(PartitionStateStagingTest, StagedApplyEqualsEagerApply) {
  StateSettings s;
  s.horizon_days = 30;
  s.enroll_within_days = 4;
  s.windows_days = {1, 7, 20};
  s.min_cell = 2;
  s.dimensions = {"race", "sex"};
  s.max_groups_per_dimension = 3;
  uint64_t dropped = 0;  // the slow path ran
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    PartitionState eager(s), staged(s);
    const DayNumber start = 20000;
    int seq = 0;
    for (DayNumber today = start; today < start + 100; ++today) {
      const int n = static_cast<int>(rng() % 20);
      for (int i = 0; i < n; ++i) {
        const v1::ServiceEvent e = Event(rng, seq++);
        const int r = static_cast<int>(rng() % 100);
        const int spread = static_cast<int>(rng() % 60);
        const DayNumber day = r < 70   ? today
                              : r < 85 ? today - spread % 3
                              : r < 95 ? today - spread
                                       : today + 1 + spread % 40;
        eager.Apply(e, day);
        eager.num_funnels();  // carries out the queued work
        staged.Apply(e, day);
      }
      if (rng() % 5 == 0) {
        eager.Evict(today);
        staged.Evict(today);
      }
      if (rng() % 7 == 0) {  // checkpoints keep no overflow/drop counts
        dropped += staged.dropped_events();
        for (PartitionState* state : {&eager, &staged}) {
          auto copy = PartitionState::Deserialize(state->Serialize(), s);
          ASSERT_TRUE(copy.ok()) << copy.status();
          *state = std::move(*copy);
        }
      }
      if (rng() % 3 == 0) ExpectSameState(eager, staged, today);
    }
    ExpectSameState(eager, staged, start + 100);
    dropped += staged.dropped_events();
  }
  EXPECT_GT(dropped, 0u);
}

TEST(PartitionStateStagingTest, EventPastTheHorizonIsDroppedUninterned) {
  StateSettings s;
  s.horizon_days = 30;
  s.dimensions = {"race"};
  PartitionState state(s);
  v1::ServiceEvent e;
  e.set_event_id("1");
  e.set_type(v1::EVENT_TYPE_COMPLETION);
  e.set_provider_id("p");
  e.set_program_id("a");
  e.set_client_key("c");
  (*e.mutable_attributes())["race"] = "x";
  state.Apply(e, 20030);  // claims slot 20030 % 30 for day 20030
  (*e.mutable_attributes())["race"] = "y";
  e.set_type(v1::EVENT_TYPE_REFERRAL);
  state.Apply(e, 20000);  // same slot, a horizon older: dropped
  EXPECT_EQ(state.dropped_events(), 1u);
  EXPECT_EQ(state.groups().group_names(0), std::vector<std::string>{"x"});
  EXPECT_EQ(state.num_funnels(), 0u);
  (*e.mutable_attributes())["race"] = "z";
  state.Apply(e, 19999);  // a horizon older than the newest too, but its
                          // slot is free: counted
  EXPECT_EQ(state.dropped_events(), 1u);
  EXPECT_EQ(state.groups().group_names(0),
            (std::vector<std::string>{"x", "z"}));
  EXPECT_EQ(state.num_funnels(), 1u);
}

// Provider+program keys are kept inline in the lookup index when short and
// out of line when long; many programs make the index grow; evicting some
// rebuilds it.
TEST(PartitionStateStagingTest, ManyProgramsShortAndLongIdsStayApart) {
  StateSettings s;
  PartitionState state(s);
  const std::string long_id(50, 'x');
  std::vector<std::pair<std::string, std::string>> keys;
  for (int i = 0; i < 40; ++i) {
    const std::string n = std::to_string(i);
    keys.push_back({"p" + n, "a"});
    keys.push_back({"p" + n, long_id + n});
    keys.push_back({long_id + n, "a"});
    keys.push_back({long_id, n + "a"});  // same total length as (long_id+n, a)
  }
  v1::ServiceEvent e;
  e.set_event_id("1");
  e.set_type(v1::EVENT_TYPE_REFERRAL);
  e.set_client_key("c");
  for (size_t k = 0; k < keys.size(); ++k) {
    e.set_provider_id(keys[k].first);
    e.set_program_id(keys[k].second);
    for (size_t n = 0; n <= k % 3; ++n) {
      state.Apply(e, k < 80 ? 19915 : 20000);  // the first 80: old
    }
  }
  auto count = [&](DayNumber today) {
    std::map<std::pair<std::string, std::string>, int64_t> out;
    for (const ProgramFigures& f : state.ComputeFigures(today)) {
      out[{f.provider, f.program}] = f.windows.back().events[kReferral];
    }
    return out;
  };
  auto all = count(20000);
  ASSERT_EQ(all.size(), keys.size());
  for (size_t k = 0; k < keys.size(); ++k) {
    EXPECT_EQ(all[keys[k]], static_cast<int64_t>(k % 3 + 1)) << k;
  }
  state.Evict(20036);  // frees day 19916 and before: the first 80
  EXPECT_EQ(state.num_programs(), keys.size() - 80);
  for (size_t k = 0; k < keys.size(); ++k) {  // all again, after the rebuild
    e.set_provider_id(keys[k].first);
    e.set_program_id(keys[k].second);
    state.Apply(e, 20036);
  }
  EXPECT_EQ(state.num_programs(), keys.size());
  all = count(20036);
  for (size_t k = 0; k < keys.size(); ++k) {
    EXPECT_EQ(all[keys[k]], k < 80 ? 1 : static_cast<int64_t>(k % 3 + 2)) << k;
  }
}

// --- StateStore::PartitionWriter ------------------------------------------

const PartitionId kP0{"outcomes.events", 0};
const PartitionId kP1{"outcomes.events", 1};
constexpr DayNumber kToday = 20500;

v1::ServiceEvent Referral(const std::string& provider,
                          const std::string& client) {
  v1::ServiceEvent e;
  e.set_event_id(provider + client);
  e.set_type(v1::EVENT_TYPE_REFERRAL);
  e.set_provider_id(provider);
  e.set_program_id("prog");
  e.set_client_key(client);
  return e;
}

int64_t Referrals(StateStore& store, const PartitionId& id) {
  for (const PartitionFigures& p : store.Snapshot(kToday).partitions) {
    if (p.id != id) continue;
    int64_t n = 0;
    for (const ProgramFigures& f : p.programs) {
      n += f.windows.back().events[kReferral];
    }
    return n;
  }
  return -1;
}

TEST(PartitionWriterTest, AppliesLikeStoreApply) {
  StateStore a{StateSettings{}}, b{StateSettings{}};
  a.Assign(kP0);
  b.Assign(kP0);
  const StateStore::PartitionWriter w = b.Writer(kP0);
  EXPECT_TRUE(w.bound());
  for (int i = 0; i < 50; ++i) {
    const v1::ServiceEvent e =
        Referral("p" + std::to_string(i % 3), "c" + std::to_string(i % 7));
    EXPECT_TRUE(a.Apply(kP0, e, kToday - i % 10));
    if (i % 2) {
      EXPECT_TRUE(w.Apply(e, kToday - i % 10));
    } else {
      const StateStore::PartitionWriter::Locked locked = w.Lock();
      ASSERT_TRUE(locked.ok());
      locked.Apply(e, kToday - i % 10);
    }
  }
  EXPECT_EQ(a.Snapshot(kToday).partitions, b.Snapshot(kToday).partitions);
  EXPECT_EQ(a.Checkpoint(kP0)->size(), b.Checkpoint(kP0)->size());
}

TEST(PartitionWriterTest, ClosedByRevocationAndNotReopened) {
  StateStore store{StateSettings{}};
  EXPECT_FALSE(store.Writer(kP0).bound());
  EXPECT_FALSE(store.Writer(kP0).Apply(Referral("p", "c"), kToday));
  EXPECT_FALSE(StateStore::PartitionWriter().Lock().ok());
  store.Assign(kP0);
  const StateStore::PartitionWriter w = store.Writer(kP0);
  EXPECT_TRUE(w.Apply(Referral("p", "c"), kToday));
  store.Revoke(kP0);
  EXPECT_FALSE(w.Apply(Referral("p", "c"), kToday));
  EXPECT_FALSE(w.Lock().ok());
  w.Lock().Apply(Referral("p", "c"), kToday);  // ignored
  store.Assign(kP0);
  EXPECT_FALSE(w.Apply(Referral("p", "c"), kToday));
  EXPECT_EQ(Referrals(store, kP0), 0);
  EXPECT_TRUE(store.Writer(kP0).Apply(Referral("p", "c"), kToday));
  EXPECT_EQ(Referrals(store, kP0), 1);
}

TEST(PartitionWriterTest, StaysBoundAcrossRestore) {
  StateStore store{StateSettings{}};
  store.Assign(kP0);
  store.Assign(kP1);
  const StateStore::PartitionWriter w = store.Writer(kP0);
  w.Apply(Referral("p", "1"), kToday);
  w.Apply(Referral("p", "2"), kToday);
  const std::string checkpoint = *store.Checkpoint(kP0);
  w.Apply(Referral("p", "3"), kToday);
  ASSERT_TRUE(store.Restore(kP0, checkpoint).ok());
  EXPECT_EQ(Referrals(store, kP0), 2);
  EXPECT_TRUE(w.Apply(Referral("p", "4"), kToday));
  EXPECT_EQ(Referrals(store, kP0), 3);
  EXPECT_EQ(Referrals(store, kP1), 0);
}

TEST(PartitionWriterTest, EvictFreesPastTheHorizonOnly) {
  StateStore store{StateSettings{}};
  store.Assign(kP0);
  const StateStore::PartitionWriter w = store.Writer(kP0);
  w.Apply(Referral("p", "old"), kToday - 119);
  w.Apply(Referral("p", "new"), kToday);
  store.Evict(kToday);
  const StoreSnapshot before = store.Snapshot(kToday);
  EXPECT_EQ(before.partitions.at(0).live_funnels, 2u);
  store.Evict(kToday + 1);
  const StoreSnapshot after = store.Snapshot(kToday + 1);
  EXPECT_EQ(after.partitions.at(0).live_funnels, 1u);
}

}  // namespace
}  // namespace outcomes
