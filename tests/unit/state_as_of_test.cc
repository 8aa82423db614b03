// StateStore's read-only queries of issue 10: one provider's figures as of
// a past day (ProviderSnapshot) and events per type between two days
// (EventsBetween). Defaults: horizon 120, M = 14, windows 7/30/90 days.
#include <string>

#include "daemon/state/state_store.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

constexpr DayNumber kToday = 20500;
const PartitionId kP0{"outcomes.events", 0};

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

class AsOfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.Assign(kP0);
    store_.Apply(kP0, Referral("a", "c0"), kToday - 20);
    store_.Apply(kP0, Referral("a", "c1"), kToday - 5);
    store_.Apply(kP0, Referral("a", "c2"), kToday - 3);
    store_.Apply(kP0, Referral("a", "c3"), kToday);
    store_.Apply(kP0, Referral("b", "c4"), kToday);
  }
  StateStore store_{StateSettings{}};
};

TEST_F(AsOfTest, EventsBetweenCountsDaysBothEndsIncluded) {
  const auto two = store_.EventsBetween("a", "prog", kToday - 5, kToday - 3);
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ((*two)[kReferral], 2);
  EXPECT_EQ((*two)[kEnrollment], 0);
  EXPECT_EQ((*store_.EventsBetween("a", "prog", kToday - 2, kToday))[kReferral],
            1);
  EXPECT_EQ(
      (*store_.EventsBetween("a", "prog", kToday - 4, kToday - 4))[kReferral],
      0);
  EXPECT_FALSE(store_.EventsBetween("a", "other", kToday, kToday).has_value());
  EXPECT_FALSE(store_.EventsBetween("z", "prog", kToday, kToday).has_value());
}

TEST_F(AsOfTest, ProviderSnapshotCountsNothingAfterTheDay) {
  const StoreSnapshot snap = store_.ProviderSnapshot("a", kToday - 3, kToday);
  EXPECT_EQ(snap.today, kToday - 3);
  ASSERT_EQ(snap.partitions.size(), 1u);
  ASSERT_EQ(snap.partitions[0].programs.size(), 1u);  // not b's
  const ProgramFigures& p = snap.partitions[0].programs[0];
  EXPECT_EQ(p.provider, "a");
  EXPECT_EQ(p.windows[0].days, 7);
  EXPECT_EQ(p.windows[0].events[kReferral], 2);
  // Today's figures are unchanged by the query (nothing evicted).
  EXPECT_EQ(store_.Snapshot(kToday)
                .partitions[0]
                .programs[0]
                .windows[0]
                .events[kReferral],
            3);
  EXPECT_TRUE(store_.ProviderSnapshot("z", kToday, kToday).partitions.empty());
  // b's only event is after the day: b had no figures then.
  EXPECT_TRUE(
      store_.ProviderSnapshot("b", kToday - 1, kToday).partitions.empty());
}

TEST_F(AsOfTest, FiguresReadingEvictedDaysAreIncomplete) {
  // Kept as of now: days kToday-119 .. kToday. A window of N days as of D
  // reads from D - 14 - N.
  const auto as_of = [this](DayNumber d) {
    return store_.ProviderSnapshot("a", d, kToday)
        .partitions.at(0)
        .programs.at(0);
  };
  const ProgramFigures now = as_of(kToday);
  EXPECT_TRUE(now.history_complete);
  EXPECT_TRUE(now.windows[2].complete);
  const ProgramFigures d15 = as_of(kToday - 15);  // 90d reads kToday-119
  EXPECT_FALSE(d15.history_complete);  // stalled: the whole horizon of D
  EXPECT_TRUE(d15.windows[2].complete);
  const ProgramFigures d16 = as_of(kToday - 16);  // 90d reads kToday-120
  EXPECT_TRUE(d16.windows[0].complete);
  EXPECT_TRUE(d16.windows[1].complete);
  EXPECT_FALSE(d16.windows[2].complete);
}

}  // namespace
}  // namespace outcomes
