// FiguresExporter: the §4 series appear with exact names and labels, and
// disappear with their partition, when a rate becomes absent, and when a
// subgroup is suppressed.
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "daemon/state/figures_exporter.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace outcomes {
namespace {

constexpr DayNumber kToday = 20500;
const PartitionId kP0{"outcomes.events", 0};

class ExporterTest : public testing::Test {
 protected:
  ExporterTest() {
    store_.Assign(kP0);
    store_.SetStatus(kP0, /*ready=*/true, /*history_from=*/INT32_MIN);
  }

  void Add(v1::EventType type, int age, const std::string& client,
           const std::string& race = "") {
    v1::ServiceEvent e;
    e.set_event_id(std::to_string(seq_++));
    e.set_type(type);
    e.set_provider_id("prov-1");
    e.set_program_id("workforce");
    e.set_client_key(client);
    if (!race.empty()) (*e.mutable_attributes())["race_ethnicity"] = race;
    store_.Apply(kP0, e, kToday - age);
  }
  std::string Scrape(DayNumber today = kToday) {
    exporter_.Update(store_.Snapshot(today));
    return Render();
  }
  // The registry's families (the overflow counter) and the exporter's, as
  // the daemon's /metrics lists them.
  std::string Render() {
    std::vector<prometheus::MetricFamily> families = registry_.Collect();
    for (prometheus::MetricFamily& f : exporter_.Collect()) {
      families.push_back(std::move(f));
    }
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    return out.str();
  }
  static bool Has(const std::string& text, const std::string& line) {
    return text.find(line) != std::string::npos;
  }

  StateStore store_{StateSettings{}};
  prometheus::Registry registry_;
  FiguresExporter exporter_{registry_};
  int seq_ = 0;
};

TEST_F(ExporterTest, ExportsContractSeries) {
  Add(v1::EVENT_TYPE_REFERRAL, 20, "secret-client-a");
  Add(v1::EVENT_TYPE_ENROLLMENT, 17, "secret-client-a");
  Add(v1::EVENT_TYPE_COMPLETION, 1, "secret-client-a");
  Add(v1::EVENT_TYPE_REFERRAL, 16, "secret-client-b");
  const std::string t = Scrape();
  // The text format orders labels by name.
  const std::string base = R"(program="workforce",provider="prov-1")";
  EXPECT_TRUE(Has(t, "outcomes_window_events{" + base +
                         R"(,type="referral",window="30d"} 2)"));
  EXPECT_TRUE(Has(t, "outcomes_window_events{" + base +
                         R"(,type="outcome",window="7d"} 0)"));
  EXPECT_TRUE(
      Has(t, "outcomes_enrollment_rate{" + base + R"(,window="7d"} 0.5)"));
  EXPECT_TRUE(
      Has(t, "outcomes_completion_rate{" + base + R"(,window="7d"} 1)"));
  EXPECT_TRUE(Has(t, "outcomes_stalled_referrals{" + base + "} 1"));
  EXPECT_TRUE(Has(t, R"(outcomes_time_to_enroll_seconds{percentile="50",)" +
                         base + R"(,window="30d"} 259200)"));  // 3 days
  EXPECT_TRUE(Has(t, "outcomes_priority_share{" + base +
                         R"(,stage="referral",window="30d"} 0)"));
  EXPECT_TRUE(Has(
      t, R"(outcomes_state_funnels{partition="0",topic="outcomes.events"} 2)"));
  EXPECT_TRUE(
      Has(t, R"(outcomes_group_overflow_total{dimension="race_ethnicity"} 0)"));
  EXPECT_FALSE(Has(t, "secret-client"));
}

TEST_F(ExporterTest, AbsentRatesHaveNoSeries) {
  Add(v1::EVENT_TYPE_REFERRAL, 1, "a");
  const std::string t = Scrape();
  EXPECT_TRUE(Has(t, "outcomes_window_events{"));
  EXPECT_FALSE(Has(t, "outcomes_enrollment_rate{"));
  EXPECT_FALSE(Has(t, "outcomes_completion_rate{"));
  EXPECT_FALSE(Has(t, "outcomes_time_to_enroll_seconds{"));
  EXPECT_FALSE(Has(t, R"(stage="enrollment")"));
  EXPECT_FALSE(Has(t, "NaN"));
}

TEST_F(ExporterTest, SeriesDisappearWhenRatesBecomeAbsent) {
  Add(v1::EVENT_TYPE_COMPLETION, 0, "a");
  EXPECT_TRUE(Has(
      Scrape(),
      R"(outcomes_completion_rate{program="workforce",provider="prov-1",window="7d"} 1)"));
  const std::string later = Scrape(kToday + 7);  // out of the 7d window
  EXPECT_FALSE(Has(later, R"(window="7d"} 1)"));
  EXPECT_TRUE(Has(
      later,
      R"(outcomes_completion_rate{program="workforce",provider="prov-1",window="30d"} 1)"));
}

TEST_F(ExporterTest, RevokedPartitionLosesAllSeries) {
  Add(v1::EVENT_TYPE_REFERRAL, 20, "a");
  EXPECT_TRUE(Has(Scrape(), "prov-1"));
  store_.Revoke(kP0);
  const std::string t = Scrape();
  EXPECT_FALSE(Has(t, "prov-1"));
  EXPECT_FALSE(Has(t, "outcomes_state_funnels{"));
}

TEST_F(ExporterTest, GroupRateSuppressedBelowMinCell) {
  for (int i = 0; i < 11; ++i) {
    Add(v1::EVENT_TYPE_COMPLETION, 1, "w" + std::to_string(i), "white");
    Add(v1::EVENT_TYPE_COMPLETION, 1, "a" + std::to_string(i), "asian");
    Add(v1::EVENT_TYPE_DISENROLLMENT, 1, "s" + std::to_string(i), "other");
  }
  const std::string group =
      R"(outcomes_group_rate{dimension="race_ethnicity",group=)";
  std::string t = Scrape();
  EXPECT_TRUE(Has(
      t,
      group +
          R"("white",metric="completion_rate",program="workforce",provider="prov-1",window="7d"} 1)"));
  EXPECT_TRUE(Has(
      t,
      group +
          R"("other",metric="completion_rate",program="workforce",provider="prov-1",window="7d"} 0)"));
  for (int i = 0; i < 10; ++i) {
    Add(v1::EVENT_TYPE_COMPLETION, 1, "b" + std::to_string(i), "black");
  }
  t = Scrape();  // black (10) hidden, and its complement asian (11, by name)
  EXPECT_FALSE(Has(t, R"(group="black")"));
  EXPECT_FALSE(Has(t, R"(group="asian")"));
  EXPECT_TRUE(Has(t, R"(group="other")"));
  EXPECT_TRUE(Has(t, R"(group="white")"));
}

TEST_F(ExporterTest, PartitionBeingRebuiltExportsNoFigures) {
  Add(v1::EVENT_TYPE_REFERRAL, 0, "c1");
  store_.SetStatus(kP0, /*ready=*/false, INT32_MIN);
  const std::string t = Scrape();
  EXPECT_FALSE(Has(t, "outcomes_window_events{"));
  EXPECT_TRUE(Has(t, "outcomes_state_funnels{"));
  store_.SetStatus(kP0, /*ready=*/true, INT32_MIN);
  EXPECT_TRUE(Has(Scrape(), "outcomes_window_events{"));
}

TEST_F(ExporterTest, OverflowCounterCountsFoldedEvents) {
  StateSettings s;
  s.max_groups_per_dimension = 1;
  StateStore store{s};
  store.Assign(kP0);
  v1::ServiceEvent e;
  e.set_type(v1::EVENT_TYPE_COMPLETION);
  e.set_provider_id("p");
  e.set_program_id("q");
  e.set_client_key("c");
  for (const char* v : {"x", "y", "z"}) {
    (*e.mutable_attributes())["race_ethnicity"] = v;
    store.Apply(kP0, e, kToday);
  }
  exporter_.Update(store.Snapshot(kToday));
  exporter_.Update(store.Snapshot(kToday));  // counts once
  EXPECT_TRUE(
      Has(Render(),
          R"(outcomes_group_overflow_total{dimension="race_ethnicity"} 2)"));
}

}  // namespace
}  // namespace outcomes
