// StateSink: the ingest pipeline's accepted events reach the StateStore,
// through the per-batch applier and the per-event path alike.
#include "daemon/ingest/state_sink.h"

#include <memory>
#include <string>
#include <vector>

#include "daemon/state/event_kind.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

constexpr DayNumber kToday = 20500;
const PartitionId kP0{"outcomes.events", 0};

v1::ServiceEvent Event(v1::EventType type, const std::string& provider,
                       const std::string& client) {
  v1::ServiceEvent e;
  e.set_event_id(provider + client + std::to_string(type));
  e.set_type(type);
  e.set_provider_id(provider);
  e.set_program_id("prog");
  e.set_client_key(client);
  return e;
}

TEST(StateSinkTest, ApplierAppliesEveryBatchToThePartition) {
  StateStore store{StateSettings{}};
  StateSink sink(store);
  sink.AssignPartition(kP0);
  std::unique_ptr<AcceptedEventSink::PartitionApplier> applier =
      sink.Applier(kP0);
  applier->Apply(EventView(Event(v1::EVENT_TYPE_REFERRAL, "a", "c1")),
                 kToday - 1);
  applier->Apply(EventView(Event(v1::EVENT_TYPE_REFERRAL, "a", "c2")),
                 kToday - 1);
  applier->Apply(EventView(Event(v1::EVENT_TYPE_ENROLLMENT, "a", "c1")),
                 kToday);
  applier->Release();  // the partition's lock: Snapshot takes it
  applier->Apply(EventView(Event(v1::EVENT_TYPE_REFERRAL, "b", "c3")), kToday);
  applier->Release();

  const StoreSnapshot snap = store.Snapshot(kToday);
  ASSERT_EQ(snap.partitions.size(), 1u);
  const PartitionFigures& part = snap.partitions[0];
  EXPECT_EQ(part.live_funnels, 3u);  // a/c1, a/c2, b/c3
  ASSERT_EQ(part.programs.size(), 2u);
  EXPECT_EQ(part.programs[0].provider, "a");
  EXPECT_EQ(part.programs[0].windows[0].events[kReferral], 2);
  EXPECT_EQ(part.programs[0].windows[0].events[kEnrollment], 1);
  EXPECT_EQ(part.programs[1].provider, "b");
  EXPECT_EQ(part.programs[1].windows[0].events[kReferral], 1);
  EXPECT_EQ(part.programs[1].windows[0].events[kEnrollment], 0);
  EXPECT_EQ(sink.Providers(kP0), (std::vector<std::string>{"a", "b"}));

  // The applier is bound to the assignment it was obtained for.
  sink.RevokePartition(kP0);
  sink.AssignPartition(kP0);
  applier->Apply(EventView(Event(v1::EVENT_TYPE_REFERRAL, "c", "c4")), kToday);
  applier->Release();
  EXPECT_TRUE(store.Snapshot(kToday).partitions.at(0).programs.empty());
  EXPECT_TRUE(sink.Providers(kP0).empty());
}

TEST(StateSinkTest, ApplyStatusAndEvictionsReachTheStore) {
  StateStore store{StateSettings{}};
  StateSink sink(store);
  sink.AssignPartition(kP0);
  const int horizon = store.settings().horizon_days;
  sink.Apply(kP0, EventView(Event(v1::EVENT_TYPE_REFERRAL, "old", "c1")),
             kToday - horizon + 1);
  sink.Apply(kP0, EventView(Event(v1::EVENT_TYPE_REFERRAL, "new", "c2")),
             kToday);
  sink.SetPartitionStatus(kP0, /*ready=*/false, kHistoryComplete);
  StoreSnapshot snap = store.Snapshot(kToday);
  ASSERT_EQ(snap.partitions.size(), 1u);
  EXPECT_FALSE(snap.partitions[0].ready);
  EXPECT_EQ(snap.partitions[0].live_funnels, 2u);
  EXPECT_EQ(sink.Providers(kP0), (std::vector<std::string>{"new", "old"}));

  const uint64_t before = sink.EvictionGeneration();
  EXPECT_EQ(before, store.eviction_generation());
  store.Evict(kToday + 1);  // "old"'s only day leaves the horizon
  EXPECT_EQ(sink.EvictionGeneration(), before + 1);
  EXPECT_EQ(sink.Providers(kP0), std::vector<std::string>{"new"});

  sink.SetPartitionStatus(kP0, /*ready=*/true, kHistoryComplete);
  EXPECT_TRUE(store.Snapshot(kToday).partitions.at(0).ready);
  sink.RevokePartition(kP0);
  EXPECT_TRUE(store.Partitions().empty());
}

}  // namespace
}  // namespace outcomes
