#include "daemon/pipeline.h"

#include <string>
#include <vector>

#include "daemon/http/http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1795000000);

class RecordingSink : public AcceptedEventSink {
 public:
  void AssignPartition(const PartitionId& id) override {
    log.push_back("assign " + id.ToString());
  }
  void RevokePartition(const PartitionId& id) override {
    log.push_back("revoke " + id.ToString());
  }
  void Apply(const PartitionId& id, const v1::ServiceEvent& e,
             DayNumber) override {
    log.push_back("apply " + id.ToString() + " " + e.event_id());
  }
  std::vector<std::string> log;
};

class RecordingDeadLetters : public DeadLetterSink {
 public:
  void Send(const KafkaMessage& m, std::string_view reason,
            std::string_view) override {
    sent.push_back(std::string(reason) + "@" + std::to_string(m.offset));
  }
  absl::Status Flush(absl::Duration) override { return absl::OkStatus(); }
  std::vector<std::string> sent;
};

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest()
      : clock_(kNow),
        metrics_(registry_),
        pipeline_(ValidationSettings{}, clock_, metrics_, sink_, dlq_) {
    pipeline_.Assign({PartitionId{"t", 0}, -1});
  }

  void Feed(int64_t offset, const std::string& value,
            std::string_view key = "p1") {
    pipeline_.Process(KafkaMessage{"t", 0, offset, key, value});
    pipeline_.FlushMetrics();
  }

  std::string Event(const std::string& id, v1::EventType type) {
    v1::ServiceEvent e;
    e.set_event_id(id);
    e.set_type(type);
    e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(kNow) - 60);
    e.set_provider_id("p1");
    e.set_program_id("w");
    e.set_client_key("c1");
    return e.SerializeAsString();
  }

  FakeClock clock_;
  prometheus::Registry registry_;
  IngestMetrics metrics_;
  RecordingSink sink_;
  RecordingDeadLetters dlq_;
  IngestPipeline pipeline_;
};

TEST_F(PipelineTest, CountsAcceptedRejectedAndDuplicates) {
  Feed(0, Event("a", v1::EVENT_TYPE_REFERRAL));
  Feed(1, Event("b", v1::EVENT_TYPE_ENROLLMENT));
  Feed(2, Event("a", v1::EVENT_TYPE_REFERRAL));  // duplicate
  Feed(3, "{broken");
  Feed(4, Event("", v1::EVENT_TYPE_REFERRAL));
  EXPECT_EQ(metrics_.accepted(v1::EVENT_TYPE_REFERRAL).Value(), 1);
  EXPECT_EQ(metrics_.accepted(v1::EVENT_TYPE_ENROLLMENT).Value(), 1);
  EXPECT_EQ(metrics_.duplicates().Value(), 1);
  EXPECT_EQ(metrics_.rejected(RejectReason::kMalformed).Value(), 1);
  EXPECT_EQ(metrics_.rejected(RejectReason::kMissingField).Value(), 1);
  EXPECT_THAT(dlq_.sent, ElementsAre("malformed@3", "missing_field@4"));
  EXPECT_THAT(sink_.log, ElementsAre("assign t/0", "apply t/0 a", "apply t/0 b"));
}

TEST_F(PipelineTest, KeyOtherThanProviderIsRejectedAsKeyMismatch) {
  Feed(0, Event("a", v1::EVENT_TYPE_REFERRAL), "p2");
  Feed(1, Event("b", v1::EVENT_TYPE_REFERRAL), "");
  Feed(2, Event("c", v1::EVENT_TYPE_REFERRAL), "p1");
  EXPECT_EQ(metrics_.rejected(RejectReason::kKeyMismatch).Value(), 2);
  EXPECT_EQ(metrics_.accepted(v1::EVENT_TYPE_REFERRAL).Value(), 1);
  EXPECT_THAT(dlq_.sent, ElementsAre("key_mismatch@0", "key_mismatch@1"));
  EXPECT_THAT(sink_.log, ElementsAre("assign t/0", "apply t/0 c"));
}

TEST_F(PipelineTest, KeyIsJudgedAfterEveryOtherReason) {
  v1::ServiceEvent e;
  ASSERT_TRUE(e.ParseFromString(Event("a", v1::EVENT_TYPE_REFERRAL)));
  e.clear_provider_id();
  Feed(0, e.SerializeAsString(), "");
  Feed(1, "{broken", "p2");
  EXPECT_THAT(dlq_.sent, ElementsAre("missing_field@0", "malformed@1"));
  EXPECT_EQ(metrics_.rejected(RejectReason::kKeyMismatch).Value(), 0);
}

TEST_F(PipelineTest, ReplayedMessageWithWrongKeyRebuildsNothing) {
  pipeline_.Assign({PartitionId{"t", 0}, /*next_offset=*/2, /*replay_from=*/0});
  Feed(0, Event("a", v1::EVENT_TYPE_REFERRAL), "p2");
  Feed(1, Event("b", v1::EVENT_TYPE_REFERRAL));
  EXPECT_EQ(metrics_.replayed().Value(), 1);
  EXPECT_EQ(metrics_.rejected(RejectReason::kKeyMismatch).Value(), 0);
  EXPECT_THAT(sink_.log, ElementsAre("assign t/0", "revoke t/0", "assign t/0",
                                     "apply t/0 b"));
}

TEST_F(PipelineTest, ProgressFollowsTheReplay) {
  pipeline_.Assign({PartitionId{"t", 0}, 3, 0});
  ASSERT_EQ(pipeline_.Progress().size(), 1u);
  EXPECT_EQ(pipeline_.Progress()[0].position, 0);
  EXPECT_FALSE(pipeline_.Progress()[0].rebuilt);
  Feed(0, Event("a", v1::EVENT_TYPE_REFERRAL));
  Feed(1, Event("b", v1::EVENT_TYPE_REFERRAL));
  EXPECT_FALSE(pipeline_.Progress()[0].rebuilt);
  Feed(2, "{broken");  // a reject still moves the replay on
  EXPECT_TRUE(pipeline_.Progress()[0].rebuilt);
  EXPECT_EQ(pipeline_.Progress()[0].position, 3);
  EXPECT_EQ(pipeline_.Position(PartitionId{"t", 0}), 3);
}

std::string EventAged(const std::string& id, int days) {
  v1::ServiceEvent e;
  e.set_event_id(id);
  e.set_type(v1::EVENT_TYPE_REFERRAL);
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(kNow) -
                                       days * 86400);
  e.set_provider_id("p1");
  e.set_program_id("w");
  e.set_client_key("c1");
  return e.SerializeAsString();
}

TEST_F(PipelineTest, HistoryOfATruncatedLogStartsAtItsFirstEvent) {
  pipeline_.Assign({PartitionId{"t", 0}, -1, -1, /*low_watermark=*/50});
  EXPECT_FALSE(pipeline_.Progress()[0].history_known);
  Feed(50, "{broken");  // not an event: says nothing about days
  EXPECT_FALSE(pipeline_.Progress()[0].history_known);
  Feed(51, EventAged("a", 40));
  Feed(52, EventAged("b", 100));  // only the first one counts
  const PartitionProgress p = pipeline_.Progress()[0];
  EXPECT_TRUE(p.history_known);
  EXPECT_EQ(p.history_from, DayOf(kNow, absl::UTCTimeZone()) - 40);
}

TEST_F(PipelineTest, HistoryIsCompleteFromOffsetZeroOrPastTheHorizon) {
  EXPECT_TRUE(pipeline_.Progress()[0].history_known);  // low watermark -1
  EXPECT_EQ(pipeline_.Progress()[0].history_from, kHistoryComplete);
  pipeline_.Assign({PartitionId{"t", 0}, -1, -1, 50});
  Feed(50, EventAged("a", 300));  // too old: the log reaches past it
  EXPECT_TRUE(pipeline_.Progress()[0].history_known);
  EXPECT_EQ(pipeline_.Progress()[0].history_from, kHistoryComplete);
  // Reading from a time-based start above the low watermark: complete.
  pipeline_.Assign({PartitionId{"t", 0}, 90, 70, 50});
  EXPECT_TRUE(pipeline_.Progress()[0].history_known);
}

TEST_F(PipelineTest, TracksOffsetsToCommit) {
  EXPECT_TRUE(pipeline_.Uncommitted().empty());
  Feed(7, Event("a", v1::EVENT_TYPE_REFERRAL));
  Feed(8, "{broken");
  auto offsets = pipeline_.Uncommitted();
  ASSERT_EQ(offsets.size(), 1u);
  EXPECT_EQ(offsets[0].next_offset, 9);
  pipeline_.MarkCommitted(offsets);
  EXPECT_TRUE(pipeline_.Uncommitted().empty());
}

TEST_F(PipelineTest, IgnoresMessagesOfUnassignedPartitions) {
  pipeline_.Process(KafkaMessage{"t", 5, 0, "p1", Event("z", v1::EVENT_TYPE_REFERRAL)});
  pipeline_.FlushMetrics();
  EXPECT_EQ(metrics_.accepted(v1::EVENT_TYPE_REFERRAL).Value(), 0);
  EXPECT_EQ(pipeline_.Position(PartitionId{"t", 5}), -1);
}

TEST_F(PipelineTest, RevokeDropsPartitionAndItsDedupeState) {
  Feed(0, Event("a", v1::EVENT_TYPE_REFERRAL));
  pipeline_.Revoke(PartitionId{"t", 0});
  pipeline_.Assign({PartitionId{"t", 0}, 1});
  Feed(1, Event("a", v1::EVENT_TYPE_REFERRAL));
  EXPECT_EQ(metrics_.accepted(v1::EVENT_TYPE_REFERRAL).Value(), 2);
  EXPECT_THAT(sink_.log, ElementsAre("assign t/0", "apply t/0 a", "revoke t/0",
                                     "assign t/0", "apply t/0 a"));
}

TEST_F(PipelineTest, ReplayBelowStartOffsetRebuildsStateWithoutCounting) {
  pipeline_.Revoke(PartitionId{"t", 0});
  sink_.log.clear();
  pipeline_.Assign({PartitionId{"t", 0}, /*next_offset=*/3, /*replay_from=*/0});
  Feed(0, Event("a", v1::EVENT_TYPE_REFERRAL));
  Feed(1, "{broken");                             // counted by the old owner
  Feed(2, Event("a", v1::EVENT_TYPE_REFERRAL));   // duplicate, also old
  Feed(3, Event("a", v1::EVENT_TYPE_REFERRAL));   // new, but a duplicate
  Feed(4, Event("b", v1::EVENT_TYPE_REFERRAL));
  EXPECT_EQ(metrics_.accepted(v1::EVENT_TYPE_REFERRAL).Value(), 1);
  EXPECT_EQ(metrics_.duplicates().Value(), 1);
  EXPECT_EQ(metrics_.replayed().Value(), 1);
  EXPECT_EQ(metrics_.rejected(RejectReason::kMalformed).Value(), 0);
  EXPECT_TRUE(dlq_.sent.empty());
  EXPECT_THAT(sink_.log, ElementsAre("assign t/0", "apply t/0 a", "apply t/0 b"));
  auto offsets = pipeline_.Uncommitted();
  ASSERT_EQ(offsets.size(), 1u);
  EXPECT_EQ(offsets[0].next_offset, 5);
}

TEST_F(PipelineTest, MetricsTextHasEveryReasonAndType) {
  const std::string text = RenderMetrics(registry_);
  for (const char* reason : kRejectReasonNames) {
    EXPECT_THAT(text, HasSubstr(std::string("outcomes_events_rejected_total{reason=\"") +
                                reason + "\"} 0"));
  }
  EXPECT_THAT(text, HasSubstr("outcomes_events_total{type=\"outcome\"} 0"));
  EXPECT_THAT(text, HasSubstr("outcomes_events_duplicate_total 0"));
}

}  // namespace
}  // namespace outcomes
