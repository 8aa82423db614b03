// JSON bodies of /api/v1/providers and /api/v1/providers/{id}.
#include <string>

#include "daemon/state/figures_json.h"
#include "daemon/state/json_writer.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

// 2026-03-01
constexpr DayNumber kToday = 20513;
const PartitionId kP0{"outcomes.events", 3};

TEST(JsonWriterTest, EscapesAndSeparates) {
  JsonWriter j;
  j.BeginObject().Key("a\"b").String("x\\y\n\x01").Key("n").Int(-3);
  j.Key("l").BeginArray().Double(0.1).Null().Bool(true).EndArray();
  j.Key("nan").Double(0.0 / 0.0).EndObject();
  EXPECT_EQ(j.str(), R"({"a\"b":"x\\y\u000a\u0001","n":-3,"l":[0.1,null,true],)"
                     R"("nan":null})");
}

class FiguresJsonTest : public testing::Test {
 protected:
  FiguresJsonTest() { store_.Assign(kP0); }
  void Add(v1::EventType type, int age, const std::string& client,
           const std::string& race) {
    v1::ServiceEvent e;
    e.set_event_id(std::to_string(seq_++));
    e.set_type(type);
    e.set_provider_id("prov-1");
    e.set_program_id("workforce");
    e.set_client_key(client);
    (*e.mutable_attributes())["race_ethnicity"] = race;
    store_.Apply(kP0, e, kToday - age);
  }
  StateStore store_{StateSettings{}};
  int seq_ = 0;
};

TEST_F(FiguresJsonTest, ProviderListHasHeadlineFigures) {
  Add(v1::EVENT_TYPE_REFERRAL, 20, "client-key-1", "black");
  Add(v1::EVENT_TYPE_ENROLLMENT, 18, "client-key-1", "black");
  Add(v1::EVENT_TYPE_REFERRAL, 25, "client-key-2", "black");
  EXPECT_EQ(
      RenderProvidersJson(store_.Snapshot(kToday)),
      R"({"day":"2026-03-01","providers":[{"provider":"prov-1",)"
      R"("topic":"outcomes.events","partition":3,"programs":[{)"
      R"("program":"workforce","window":"30d","referrals":2,"enrollments":1,)"
      R"("completions":0,"enrollment_rate":{"value":0.5,"numerator":1,)"
      R"("denominator":2},"completion_rate":{"value":null,"numerator":0,)"
      R"("denominator":0},"stalled_referrals":1}]}]})");
}

TEST_F(FiguresJsonTest, ProviderDetailShowsSuppressedGroupsWithoutNumbers) {
  for (int i = 0; i < 12; ++i) {
    Add(v1::EVENT_TYPE_COMPLETION, 1, "w" + std::to_string(i), "white");
    Add(v1::EVENT_TYPE_COMPLETION, 1, "o" + std::to_string(i), "other");
  }
  Add(v1::EVENT_TYPE_DISENROLLMENT, 1, "client-key-9", "black");
  const auto json = RenderProviderJson(store_.Snapshot(kToday), "prov-1");
  ASSERT_TRUE(json.has_value());
  EXPECT_NE(
      json->find(R"({"metric":"completion_rate","dimension":)"
                 R"("race_ethnicity","group":"black","suppressed":true})"),
      std::string::npos);
  EXPECT_NE(json->find(R"("group":"white","suppressed":false,"value":1,)"
                       R"("numerator":12,"denominator":12})"),
            std::string::npos);
  // black (1) is hidden with its complement: the smallest shown group,
  // "other" (12, ties broken by name).
  EXPECT_NE(json->find(R"("group":"other","suppressed":true})"),
            std::string::npos);
  EXPECT_NE(json->find(R"("window":"90d","events":{"referral":0,)"
                       R"("enrollment":0,"completion":24,"disenrollment":1,)"
                       R"("outcome":0},"enrollment_rate":{"value":null,)"),
            std::string::npos);
  EXPECT_NE(json->find(R"("days_to_enroll":{"count":0,"p50":null,"p90":null})"),
            std::string::npos);
  EXPECT_EQ(json->find("client-key"), std::string::npos);
  EXPECT_EQ(json->find("w1"), std::string::npos);
}

TEST_F(FiguresJsonTest, UnknownProviderIsNotFound) {
  EXPECT_FALSE(RenderProviderJson(store_.Snapshot(kToday), "nope").has_value());
  EXPECT_EQ(RenderProvidersJson(store_.Snapshot(kToday)),
            R"({"day":"2026-03-01","providers":[]})");
}

}  // namespace
}  // namespace outcomes
