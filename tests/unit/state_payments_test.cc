// Payment units kept by the partition state (daemon/state/PAYMENT_RULES.md):
// client and event units, the first-day premium, late and out-of-order
// events, filters, eviction and checkpoints. Values computed by hand.
#include <string>
#include <vector>

#include "daemon/state/event_kind.h"
#include "daemon/state/partition_state.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

constexpr DayNumber kDay = 20524;  // 2026-03-12

class PaymentUnitsTest : public ::testing::Test {
 protected:
  PaymentUnitsTest() : state_(settings_) {}

  // One event of `type` for `client` on kDay + offset.
  void Add(v1::EventType type, const std::string& client, int offset,
           bool priority = false, const std::string& code = "",
           double value = 0, const std::string& provider = "acme") {
    v1::ServiceEvent e;
    e.set_event_id(std::to_string(next_id_++));
    e.set_type(type);
    e.set_provider_id(provider);
    e.set_program_id("workforce");
    e.set_client_key(client);
    if (priority) e.add_priority_groups("disability");
    e.set_outcome_code(code);
    e.set_outcome_value(value);
    state_.Apply(e, kDay + offset);
  }

  // Units of acme over [from, to] (offsets from kDay).
  UnitCount Units(UnitQuery q, int from = -10, int to = 0) {
    q.from = kDay + from;
    q.to = kDay + to;
    for (const ProviderUnits& p : state_.CountUnits("workforce", {q})) {
      if (p.provider == "acme") return p.counts[0];
    }
    return {-1, -1};
  }

  static UnitQuery Kind(int kind, bool per_client = true) {
    UnitQuery q;
    q.kind = kind;
    q.per_client = per_client;
    return q;
  }

  StateSettings settings_;
  PartitionState state_;
  int next_id_ = 0;
};

TEST_F(PaymentUnitsTest, client_counts_once_event_counts_each) {
  Add(v1::EVENT_TYPE_ENROLLMENT, "a", -5);
  Add(v1::EVENT_TYPE_ENROLLMENT, "a", -3, /*priority=*/true);
  Add(v1::EVENT_TYPE_ENROLLMENT, "b", -2);
  Add(v1::EVENT_TYPE_REFERRAL, "c", -2);  // another type
  EXPECT_EQ(Units(Kind(kEnrollment)), (UnitCount{2, 0}));
  EXPECT_EQ(Units(Kind(kEnrollment, /*per_client=*/false)), (UnitCount{3, 1}));
  EXPECT_EQ(Units(Kind(kReferral)), (UnitCount{1, 0}));
}

TEST_F(PaymentUnitsTest, late_earlier_event_moves_the_unit_and_its_premium) {
  Add(v1::EVENT_TYPE_COMPLETION, "a", -2);
  EXPECT_EQ(Units(Kind(kCompletion)), (UnitCount{1, 0}));
  // Arrives late: the client's first day is now -6, with priority groups.
  Add(v1::EVENT_TYPE_COMPLETION, "a", -6, /*priority=*/true);
  EXPECT_EQ(Units(Kind(kCompletion)), (UnitCount{1, 1}));
  // An even earlier one without: the premium goes again.
  Add(v1::EVENT_TYPE_COMPLETION, "a", -8);
  EXPECT_EQ(Units(Kind(kCompletion)), (UnitCount{1, 0}));
  // The unit's day decides its period: a period starting at -7 sees the
  // priority event (-6) first.
  EXPECT_EQ(Units(Kind(kCompletion), -7, 0), (UnitCount{1, 1}));
  // Two matching events on the first day: priority if either has it.
  Add(v1::EVENT_TYPE_COMPLETION, "a", -8, /*priority=*/true);
  EXPECT_EQ(Units(Kind(kCompletion)), (UnitCount{1, 1}));
}

TEST_F(PaymentUnitsTest, order_of_arrival_does_not_matter) {
  PartitionState other(settings_);
  std::swap(state_, other);
  const int days[] = {-1, -9, -4, -4, 0};
  for (int i = 0; i < 5; ++i) {
    Add(v1::EVENT_TYPE_OUTCOME, "c" + std::to_string(i % 3), days[i], i == 1,
        "job", 20);
  }
  const UnitCount forward = Units(Kind(kOutcome));
  std::swap(state_, other);
  for (int i = 4; i >= 0; --i) {
    Add(v1::EVENT_TYPE_OUTCOME, "c" + std::to_string(i % 3), days[i], i == 1,
        "job", 20);
  }
  EXPECT_EQ(Units(Kind(kOutcome)), forward);
  // Clients c0 (days -1, 0: first -1), c1 (-9 priority, -4), c2 (-4).
  EXPECT_EQ(forward, (UnitCount{3, 1}));
}

TEST_F(PaymentUnitsTest, outcome_filters) {
  Add(v1::EVENT_TYPE_OUTCOME, "a", -1, true, "job_placement", 22.5);
  Add(v1::EVENT_TYPE_OUTCOME, "b", -1, true, "job_placement", 18.67);
  Add(v1::EVENT_TYPE_OUTCOME, "c", -1, false, "job_placement", 30);
  Add(v1::EVENT_TYPE_OUTCOME, "d", -1, true, "credential", 0);
  UnitQuery q = Kind(kOutcome);
  EXPECT_EQ(Units(q), (UnitCount{4, 3}));
  q.outcome_code = "job_placement";
  EXPECT_EQ(Units(q), (UnitCount{3, 2}));
  q.priority_only = true;
  EXPECT_EQ(Units(q), (UnitCount{2, 2}));
  q.value_above = 18.67;  // strictly above: b's 18.67 does not count
  EXPECT_EQ(Units(q), (UnitCount{1, 1}));
  q.outcome_code = "never_seen";
  EXPECT_EQ(Units(q), (UnitCount{0, 0}));
}

TEST_F(PaymentUnitsTest, days_outside_the_period_and_after_today) {
  Add(v1::EVENT_TYPE_REFERRAL, "a", -11);  // before the period
  Add(v1::EVENT_TYPE_REFERRAL, "b", 1);    // after today (clock skew)
  Add(v1::EVENT_TYPE_REFERRAL, "c", -10);
  EXPECT_EQ(Units(Kind(kReferral)), (UnitCount{1, 0}));
  // a's later event in the period makes it a unit of the period.
  Add(v1::EVENT_TYPE_REFERRAL, "a", -3, true);
  EXPECT_EQ(Units(Kind(kReferral)), (UnitCount{2, 1}));
}

TEST_F(PaymentUnitsTest, checkpoint_round_trip_keeps_every_unit) {
  Add(v1::EVENT_TYPE_ENROLLMENT, "a", -5, true);
  Add(v1::EVENT_TYPE_DISENROLLMENT, "b", -4);
  Add(v1::EVENT_TYPE_OUTCOME, "a", -3, true, "job_placement", 21.25);
  Add(v1::EVENT_TYPE_OUTCOME, "e", -2, false, "credential", 0, "other");
  std::vector<UnitQuery> queries;
  for (int k = 0; k < kNumEventKinds; ++k) {
    for (bool per_client : {true, false}) {
      UnitQuery q = Kind(k, per_client);
      q.from = kDay - 10;
      q.to = kDay;
      queries.push_back(q);
    }
  }
  UnitQuery placed = Kind(kOutcome);
  placed.outcome_code = "job_placement";
  placed.value_above = 21;
  placed.from = kDay - 10;
  placed.to = kDay;
  queries.push_back(placed);
  const auto before = state_.CountUnits("workforce", queries);
  auto copy = PartitionState::Deserialize(state_.Serialize(), settings_);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(copy->CountUnits("workforce", queries), before);
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(before[0].counts.back(), (UnitCount{1, 1}));
  // A checkpoint of format version 2 has no payment marks: refused.
  std::string v2 = state_.Serialize();
  v2[4] = 2;
  auto old = PartitionState::Deserialize(v2, settings_);
  EXPECT_EQ(old.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(PaymentUnitsTest, eviction_frees_days_past_the_horizon_only) {
  Add(v1::EVENT_TYPE_ENROLLMENT, "a", -130);
  Add(v1::EVENT_TYPE_ENROLLMENT, "b", -119);
  Add(v1::EVENT_TYPE_ENROLLMENT, "c", 0);
  state_.Evict(kDay);  // horizon 120: keeps days -119 .. 0
  EXPECT_EQ(Units(Kind(kEnrollment), -200, 0), (UnitCount{2, 0}));
}

}  // namespace
}  // namespace outcomes
