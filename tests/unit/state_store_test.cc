// StateStore: partitions come and go with assignment; Apply is safe next to
// Snapshot on other threads.
#include "daemon/state/state_store.h"

#include <atomic>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace outcomes {
namespace {

constexpr DayNumber kToday = 20500;
const PartitionId kP0{"outcomes.events", 0};
const PartitionId kP1{"outcomes.events", 1};

v1::ServiceEvent Event(const std::string& provider, const std::string& client,
                       const std::string& race = "") {
  v1::ServiceEvent e;
  e.set_event_id(provider + client);
  e.set_type(v1::EVENT_TYPE_REFERRAL);
  e.set_provider_id(provider);
  e.set_program_id("prog");
  e.set_client_key(client);
  if (!race.empty()) (*e.mutable_attributes())["race_ethnicity"] = race;
  return e;
}

TEST(StateStoreTest, ApplyNeedsAssignment) {
  StateStore store{StateSettings{}};
  EXPECT_FALSE(store.Apply(kP0, Event("p", "c"), kToday));
  store.Assign(kP0);
  EXPECT_TRUE(store.Apply(kP0, Event("p", "c"), kToday));
  EXPECT_EQ(store.Snapshot(kToday).partitions.at(0).programs.size(), 1u);
}

TEST(StateStoreTest, SnapshotSaysWhichPartitionOwnsAProvider) {
  StateStore store{StateSettings{}};
  store.Assign(kP1);
  store.Assign(kP0);
  store.Apply(kP1, Event("b", "c"), kToday);
  const v1::ServiceEvent a = Event("a", "c");
  const DatedEvent batch[] = {{&a, kToday}, {&a, kToday - 1}};
  EXPECT_TRUE(store.ApplyBatch(kP0, batch));
  const StoreSnapshot snap = store.Snapshot(kToday);
  ASSERT_EQ(snap.partitions.size(), 2u);
  EXPECT_EQ(snap.partitions[0].id, kP0);
  EXPECT_EQ(snap.partitions[0].programs.at(0).provider, "a");
  EXPECT_EQ(snap.partitions[0].programs.at(0).windows[0].events[kReferral], 2);
  EXPECT_EQ(snap.partitions[1].programs.at(0).provider, "b");
  EXPECT_EQ(snap.today, kToday);
}

TEST(StateStoreTest, RevokeDropsStateAndReassignStartsEmpty) {
  StateStore store{StateSettings{}};
  store.Assign(kP0);
  store.Apply(kP0, Event("a", "c"), kToday);
  store.Revoke(kP0);
  EXPECT_TRUE(store.Snapshot(kToday).partitions.empty());
  EXPECT_TRUE(store.Partitions().empty());
  store.Assign(kP0);
  EXPECT_TRUE(store.Snapshot(kToday).partitions.at(0).programs.empty());
}

TEST(StateStoreTest, CheckpointRestoresAPartition) {
  StateStore store{StateSettings{}};
  store.Assign(kP0);
  store.Apply(kP0, Event("a", "c"), kToday);
  auto bytes = store.Checkpoint(kP0);
  ASSERT_TRUE(bytes.ok());
  EXPECT_FALSE(store.Checkpoint(kP1).ok());
  StateStore other{StateSettings{}};
  ASSERT_TRUE(other.Restore(kP0, *bytes).ok());
  EXPECT_EQ(other.Snapshot(kToday).partitions,
            store.Snapshot(kToday).partitions);
  EXPECT_FALSE(other.Restore(kP1, "garbage").ok());
  EXPECT_EQ(other.Partitions().size(), 1u);
}

TEST(StateStoreTest, ProvidersAreThoseWithStateUntilEvicted) {
  StateStore store{StateSettings{}};
  store.Assign(kP0);
  const int horizon = store.settings().horizon_days;
  store.Apply(kP0, Event("old", "c1"), kToday - horizon + 1);
  store.Apply(kP0, Event("new", "c2"), kToday);
  v1::ServiceEvent second_program = Event("new", "c3");
  second_program.set_program_id("other");
  store.Apply(kP0, second_program, kToday);
  EXPECT_EQ(store.Providers(kP0), (std::vector<std::string>{"new", "old"}));
  EXPECT_TRUE(store.Providers(kP1).empty());  // not assigned

  const uint64_t before = store.eviction_generation();
  store.Evict(kToday);  // nothing past the horizon yet
  EXPECT_EQ(store.eviction_generation(), before);
  store.Evict(kToday + 1);  // "old"'s only day leaves the horizon
  EXPECT_EQ(store.eviction_generation(), before + 1);
  EXPECT_EQ(store.Providers(kP0), std::vector<std::string>{"new"});

  // A checkpoint's providers are the restored partition's.
  absl::StatusOr<std::string> ckpt = store.Checkpoint(kP0);
  ASSERT_TRUE(ckpt.ok());
  ASSERT_TRUE(store.Restore(kP1, *ckpt).ok());
  EXPECT_EQ(store.Providers(kP1), std::vector<std::string>{"new"});
  store.Revoke(kP1);
  EXPECT_TRUE(store.Providers(kP1).empty());
}

TEST(StateStoreTest, OverflowCountSurvivesRevocation) {
  StateSettings s;
  s.max_groups_per_dimension = 1;
  StateStore store{s};
  store.Assign(kP0);
  store.Apply(kP0, Event("a", "1", "x"), kToday);
  store.Apply(kP0, Event("a", "2", "y"), kToday);  // folded
  EXPECT_EQ(store.Snapshot(kToday).group_overflow.at(0).events, 1u);
  store.Revoke(kP0);
  const StoreSnapshot snap = store.Snapshot(kToday);
  EXPECT_EQ(snap.group_overflow.at(0).dimension, "race_ethnicity");
  EXPECT_EQ(snap.group_overflow.at(0).events, 1u);
}

TEST(StateStoreTest, ConcurrentApplySnapshotAndRebalance) {
  StateStore store{StateSettings{}};
  store.Assign(kP0);
  store.Assign(kP1);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 20000; ++i) {
      store.Apply(i % 2 ? kP0 : kP1,
                  Event("p" + std::to_string(i % 5), std::to_string(i)),
                  kToday - i % 50);
    }
    stop = true;
  });
  int snapshots = 0;
  while (!stop) {
    store.Snapshot(kToday);
    store.Revoke(kP1);
    store.Assign(kP1);
    ++snapshots;
  }
  writer.join();
  EXPECT_GT(snapshots, 0);
  int64_t referrals = 0;
  for (const auto& part : store.Snapshot(kToday).partitions) {
    for (const auto& p : part.programs)
      referrals += p.windows[2].events[kReferral];
  }
  EXPECT_GE(referrals, 10000);  // all of kP0's events at least
}

}  // namespace
}  // namespace outcomes
