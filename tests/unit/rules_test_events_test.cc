// The compact event notation of `outcomesctl test rules` files.
#include <map>
#include <string>

#include "daemon/ctl/test_events.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

TEST(TestEventsTest, referral_batch_expands_to_funnel) {
  v1::EventBatch b;
  b.set_type("referral");
  b.set_provider("p1");
  b.set_program("workforce");
  b.set_count(10);
  b.set_day(-30);
  b.set_fraction_enrolled(0.5);
  b.set_enrolled_after_days(3);
  b.set_fraction_completed(0.6);
  b.set_fraction_disenrolled(0.4);
  b.set_completed_after_days(7);
  (*b.mutable_attributes())["race_ethnicity"] = "black";
  auto events = ExpandEventBatch(b, 2, 1000, absl::UTCTimeZone());
  ASSERT_TRUE(events.ok()) << events.status();
  std::map<std::string, int> by_type_day;
  for (const DatedEvent& e : *events) {
    by_type_day[v1::EventType_Name(e.event.type()) + "@" +
                std::to_string(e.day)]++;
    EXPECT_EQ(e.event.attributes().at("race_ethnicity"), "black");
  }
  EXPECT_EQ(by_type_day,
            (std::map<std::string, int>{{"EVENT_TYPE_REFERRAL@970", 10},
                                        {"EVENT_TYPE_ENROLLMENT@973", 5},
                                        {"EVENT_TYPE_COMPLETION@980", 3},
                                        {"EVENT_TYPE_DISENROLLMENT@980", 2}}));
  EXPECT_EQ((*events)[0].event.client_key(), "b2-c0");
  EXPECT_EQ((*events)[0].event.event_id(), "b2-referral-0");
  EXPECT_EQ((*events)[0].event.occurred_at().seconds(),
            970 * 86400 + 12 * 3600);
}

TEST(TestEventsTest, errors) {
  v1::EventBatch b;
  b.set_type("referal");
  EXPECT_EQ(ExpandEventBatch(b, 0, 0, absl::UTCTimeZone()).status().message(),
            "type: unknown event type \"referal\" (expected referral, "
            "enrollment, completion, disenrollment, outcome)");
  b.set_type("completion");
  b.set_provider("p");
  b.set_program("q");
  b.set_fraction_enrolled(0.5);
  EXPECT_EQ(ExpandEventBatch(b, 0, 0, absl::UTCTimeZone()).status().message(),
            "fractions are only used by referral batches");
}

}  // namespace
}  // namespace outcomes
