// The librdkafka AlertStateStore against the in-process mock cluster: the
// latest record per key, tombstones, the read stopping at the end it saw.
// With OUTCOMES_TEST_KAFKA=HOST:PORT it runs against that broker instead
// (e.g. a real Apache Kafka: the topic does not exist and is created,
// compacted, with the admin API).
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "daemon/alerts/alert_state_store.h"
#include "daemon/kafka/rdkafka_clients.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

std::string Dump(std::vector<StateTopicRecord> records) {
  std::sort(records.begin(), records.end(),
            [](const auto& a, const auto& b) { return a.key < b.key; });
  std::string out;
  for (const StateTopicRecord& r : records) {
    out += r.key + "=" + (r.value ? *r.value : "<tombstone>") + " ";
  }
  return out;
}

TEST(RdKafkaAlertStateStoreTest, reads_latest_record_per_key) {
  std::unique_ptr<EmbeddedKafka> cluster;
  std::string bootstrap, topic = "outcomes.state";
  if (const char* real = std::getenv("OUTCOMES_TEST_KAFKA")) {
    bootstrap = real;
    topic =
        absl::StrCat("outcomes.state.test.", absl::ToUnixNanos(absl::Now()));
  } else {
    auto started = StartEmbeddedKafka({topic}, 3);
    ASSERT_TRUE(started.ok()) << started.status();
    cluster = *std::move(started);
    bootstrap = cluster->bootstraps();
  }
  auto store =
      NewRdKafkaAlertStateStore({{"bootstrap.servers", bootstrap}}, topic);
  ASSERT_TRUE(store.ok()) << store.status();
  auto empty = (*store)->ReadAll(absl::Seconds(10));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(Dump(*empty), "");
  (*store)->Put("a", "1");
  (*store)->Put("b", "1");
  (*store)->Put("a", "2");
  (*store)->Put("c", "1");
  (*store)->Delete("b");
  ASSERT_TRUE((*store)->Flush(absl::Seconds(10)).ok());
  auto records = (*store)->ReadAll(absl::Seconds(10));
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(Dump(*records), "a=2 b=<tombstone> c=1 ");
  EXPECT_EQ((*store)->write_failures(), 0u);
}

}  // namespace
}  // namespace outcomes
