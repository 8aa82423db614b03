// JSON bodies of /api/v1/providers and /api/v1/providers/{id}.
#include <optional>
#include <string>

#include "daemon/base/json.h"
#include "daemon/state/figures_json.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

// 2026-03-01
constexpr DayNumber kToday = 20513;
const PartitionId kP0{"outcomes.events", 3};

// The JSON facility (daemon/base/json.h) every body is built with.
TEST(JsonTest, EscapesKeepsOrderAndNeverThrows) {
  Json j = Json::object();
  j["z\"b"] = "x\\y\n\x01";
  j["a"] = -3;
  j["l"] = {0.1, nullptr, true, 1.0};
  j["nan"] = JsonNumberOrNull(0.0 / 0.0);
  j["inf"] = JsonNumberOrNull(1.0 / 0.0);
  j["none"] = JsonNumberOrNull(std::nullopt);
  j["bad"] = "a\xff\xc3";  // invalid UTF-8: replaced, not thrown
  EXPECT_EQ(DumpJson(j),
            R"({"z\"b":"x\\y\n\u0001","a":-3,"l":[0.1,null,true,1.0],)"
            R"("nan":null,"inf":null,"none":null,"bad":"a)"
            "\xef\xbf\xbd\xef\xbf\xbd\"}");  // U+FFFD twice, as UTF-8
}

class FiguresJsonTest : public testing::Test {
 protected:
  FiguresJsonTest() {
    store_.Assign(kP0);
    store_.SetStatus(kP0, /*ready=*/true, /*history_from=*/INT32_MIN);
  }
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
      R"("topic":"outcomes.events","partition":3,"ready":true,"programs":[{)"
      R"("program":"workforce","window":"30d","complete":true,)"
      R"("referrals":2,"enrollments":1,)"
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
  EXPECT_NE(json->find(R"("group":"white","suppressed":false,"value":1.0,)"
                       R"("numerator":12,"denominator":12})"),
            std::string::npos);
  // black (1) is hidden with its complement: the smallest shown group,
  // "other" (12, ties broken by name).
  EXPECT_NE(json->find(R"("group":"other","suppressed":true})"),
            std::string::npos);
  EXPECT_NE(
      json->find(R"("window":"90d","complete":true,"events":{"referral":0,)"
                 R"("enrollment":0,"completion":24,"disenrollment":1,)"
                 R"("outcome":0},"enrollment_rate":{"value":null,)"),
      std::string::npos);
  EXPECT_NE(json->find(R"("days_to_enroll":{"count":0,"p50":null,"p90":null})"),
            std::string::npos);
  EXPECT_EQ(json->find("client-key"), std::string::npos);
  EXPECT_EQ(json->find("w1"), std::string::npos);
}

TEST_F(FiguresJsonTest, WindowsBeforeTheRetainedHistoryAreIncomplete) {
  Add(v1::EVENT_TYPE_REFERRAL, 20, "client-key-1", "black");
  // History from 40 days ago: 7d reads back to today-21 (complete), 30d to
  // today-44 and 90d to today-104 (incomplete), the horizon too.
  store_.SetStatus(kP0, /*ready=*/false, kToday - 40);
  const StoreSnapshot snap = store_.Snapshot(kToday);
  ASSERT_EQ(snap.partitions.size(), 1u);
  EXPECT_FALSE(snap.partitions[0].ready);
  const ProgramFigures& p = snap.partitions[0].programs.at(0);
  EXPECT_FALSE(p.history_complete);
  ASSERT_EQ(p.windows.size(), 3u);
  EXPECT_TRUE(p.windows[0].complete);
  EXPECT_FALSE(p.windows[1].complete);
  EXPECT_FALSE(p.windows[2].complete);
  const auto json = RenderProviderJson(snap, "prov-1");
  ASSERT_TRUE(json.has_value());
  EXPECT_NE(json->find(R"("ready":false)"), std::string::npos);
  EXPECT_NE(json->find(R"("history_complete":false)"), std::string::npos);
  EXPECT_NE(json->find(R"("window":"7d","complete":true)"), std::string::npos);
  EXPECT_NE(json->find(R"("window":"30d","complete":false)"),
            std::string::npos);
  // Exactly 44 days of history make the 30d window complete.
  store_.SetStatus(kP0, true, kToday - 44);
  EXPECT_TRUE(
      store_.Snapshot(kToday).partitions[0].programs[0].windows[1].complete);
}

TEST_F(FiguresJsonTest, UnknownProviderIsNotFound) {
  EXPECT_FALSE(RenderProviderJson(store_.Snapshot(kToday), "nope").has_value());
  EXPECT_EQ(RenderProvidersJson(store_.Snapshot(kToday)),
            R"({"day":"2026-03-01","providers":[]})");
}

}  // namespace
}  // namespace outcomes
