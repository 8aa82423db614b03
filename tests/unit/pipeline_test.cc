#include "daemon/ingest/pipeline.h"

#include <fstream>
#include <map>
#include <memory>
#include <set>
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
  void Apply(const PartitionId& id, const EventView& e, DayNumber) override {
    log.push_back("apply " + id.ToString() + " " + std::string(e.event_id()));
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
  EXPECT_THAT(sink_.log,
              ElementsAre("assign t/0", "apply t/0 a", "apply t/0 b"));
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
  pipeline_.Process(
      KafkaMessage{"t", 5, 0, "p1", Event("z", v1::EVENT_TYPE_REFERRAL)});
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
  Feed(1, "{broken");                            // counted by the old owner
  Feed(2, Event("a", v1::EVENT_TYPE_REFERRAL));  // duplicate, also old
  Feed(3, Event("a", v1::EVENT_TYPE_REFERRAL));  // new, but a duplicate
  Feed(4, Event("b", v1::EVENT_TYPE_REFERRAL));
  EXPECT_EQ(metrics_.accepted(v1::EVENT_TYPE_REFERRAL).Value(), 1);
  EXPECT_EQ(metrics_.duplicates().Value(), 1);
  EXPECT_EQ(metrics_.replayed().Value(), 1);
  EXPECT_EQ(metrics_.rejected(RejectReason::kMalformed).Value(), 0);
  EXPECT_TRUE(dlq_.sent.empty());
  EXPECT_THAT(sink_.log,
              ElementsAre("assign t/0", "apply t/0 a", "apply t/0 b"));
  auto offsets = pipeline_.Uncommitted();
  ASSERT_EQ(offsets.size(), 1u);
  EXPECT_EQ(offsets[0].next_offset, 5);
}

TEST_F(PipelineTest, MetricsTextHasEveryReasonAndType) {
  const std::string text = RenderMetrics(registry_);
  for (const char* reason : kRejectReasonNames) {
    EXPECT_THAT(
        text,
        HasSubstr(std::string("outcomes_events_rejected_total{reason=\"") +
                  reason + "\"} 0"));
  }
  EXPECT_THAT(text, HasSubstr("outcomes_events_total{type=\"outcome\"} 0"));
  EXPECT_THAT(text, HasSubstr("outcomes_events_duplicate_total 0"));
}

namespace outcomes {
namespace {

// A sink that keeps, per partition, the providers applied (as the state
// store does) and lets a test evict some.
class ProviderSink : public RecordingSink {
 public:
  void RevokePartition(const PartitionId& id) override {
    RecordingSink::RevokePartition(id);
    state.erase(id.ToString());
  }
  void Apply(const PartitionId& id, const EventView& e,
             DayNumber day) override {
    RecordingSink::Apply(id, e, day);
    state[id.ToString()].insert(std::string(e.provider_id()));
  }
  std::vector<std::string> Providers(const PartitionId& id) const override {
    auto it = state.find(id.ToString());
    if (it == state.end()) return {};
    return {it->second.begin(), it->second.end()};
  }
  uint64_t EvictionGeneration() const override { return generation; }
  void Evict(const std::string& partition, const std::string& provider) {
    state[partition].erase(provider);
    ++generation;
  }
  std::map<std::string, std::set<std::string>> state;
  uint64_t generation = 0;
};

class ProviderPipelineTest : public ::testing::Test {
 protected:
  explicit ProviderPipelineTest(int max = 2, std::string file = "")
      : clock_(kNow),
        metrics_(registry_),
        gate_(*ProviderGate::Create({max, std::move(file)}, clock_, registry_)),
        pipeline_(ValidationSettings{}, clock_, metrics_, sink_, dlq_,
                  gate_.get()) {
    pipeline_.Assign({PartitionId{"t", 0}, -1});
  }

  // An event of `provider` keyed by it, at `offset` of t/`partition`.
  void Feed(int32_t partition, int64_t offset, const std::string& id,
            const std::string& provider) {
    v1::ServiceEvent e;
    e.set_event_id(id);
    e.set_type(v1::EVENT_TYPE_REFERRAL);
    e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(kNow) - 60);
    e.set_provider_id(provider);
    e.set_program_id("w");
    e.set_client_key("c1");
    pipeline_.BeginBatch();
    pipeline_.Process(
        KafkaMessage{"t", partition, offset, provider, e.SerializeAsString()});
    pipeline_.FlushMetrics();
  }
  double Rejected(RejectReason r) { return metrics_.rejected(r).Value(); }
  double Accepted() {
    return metrics_.accepted(v1::EVENT_TYPE_REFERRAL).Value();
  }

  FakeClock clock_;
  prometheus::Registry registry_;
  IngestMetrics metrics_;
  ProviderSink sink_;
  RecordingDeadLetters dlq_;
  std::unique_ptr<ProviderGate> gate_;
  IngestPipeline pipeline_;
};

TEST_F(ProviderPipelineTest, NewProviderBeyondLimitIsRejectedAndLeavesNothing) {
  Feed(0, 0, "a", "p1");
  Feed(0, 1, "b", "p2");
  Feed(0, 2, "c", "p3");  // a third provider
  Feed(0, 3, "c", "p3");  // again: not a duplicate, rejected again
  Feed(0, 4, "d", "p1");  // p1 has its slot
  EXPECT_EQ(Accepted(), 3);
  EXPECT_EQ(Rejected(RejectReason::kProviderLimit), 2);
  EXPECT_EQ(metrics_.duplicates().Value(), 0);
  EXPECT_THAT(dlq_.sent, ElementsAre("provider_limit@2", "provider_limit@3"));
  EXPECT_THAT(sink_.log, ElementsAre("assign t/0", "apply t/0 a", "apply t/0 b",
                                     "apply t/0 d"));
  EXPECT_EQ(gate_->providers(), 2u);
  EXPECT_EQ(pipeline_.Dedupe(PartitionId{"t", 0})->size(), 3u);  // a, b, d

  // p2's state is evicted past the horizon: its slot frees at the next
  // batch, and p3's event is new to dedupe (the rejects left no entry).
  sink_.Evict("t/0", "p2");
  Feed(0, 5, "c", "p3");
  EXPECT_EQ(Accepted(), 4);
  EXPECT_EQ(metrics_.duplicates().Value(), 0);
  EXPECT_EQ(sink_.log.back(), "apply t/0 c");
  EXPECT_EQ(gate_->providers(), 2u);
  Feed(0, 6, "e", "p2");  // p2 is new again: no slot
  EXPECT_EQ(Rejected(RejectReason::kProviderLimit), 3);
}

TEST_F(ProviderPipelineTest, RevokeFreesThePartitionsSlots) {
  pipeline_.Assign({PartitionId{"t", 1}, -1});
  Feed(0, 0, "a", "p1");
  Feed(1, 0, "b", "p2");
  Feed(1, 1, "c", "p1");  // p1 in two partitions: one slot
  EXPECT_EQ(gate_->providers(), 2u);
  pipeline_.Revoke(PartitionId{"t", 1});
  EXPECT_EQ(gate_->providers(), 1u);  // p1 still has state in t/0
  Feed(0, 1, "d", "p3");
  EXPECT_EQ(Accepted(), 4);
  EXPECT_EQ(Rejected(RejectReason::kProviderLimit), 0);
}

TEST_F(ProviderPipelineTest,
       RestoredProvidersTakeSlotsAndReplayIsJudgedSilently) {
  // The checkpoint of t/1 holds p1; offsets [0, 3) are replayed.
  sink_.state["t/1"] = {"p1"};
  pipeline_.Assign({PartitionId{"t", 1}, /*next_offset=*/3, /*replay_from=*/0});
  EXPECT_EQ(gate_->providers(), 1u);
  Feed(1, 0, "a", "p2");  // replay: takes the second slot
  Feed(1, 1, "b", "p3");  // replay: over the limit, skipped, not counted
  Feed(1, 2, "c", "p1");  // replay
  Feed(1, 3, "d", "p3");  // live: rejected, counted, dead-lettered
  EXPECT_EQ(metrics_.replayed().Value(), 2);
  EXPECT_EQ(Rejected(RejectReason::kProviderLimit), 1);
  EXPECT_THAT(dlq_.sent, ElementsAre("provider_limit@3"));
  EXPECT_EQ(sink_.Providers(PartitionId{"t", 1}),
            (std::vector<std::string>{"p1", "p2"}));
}

class AllowlistPipelineTest : public ProviderPipelineTest {
 protected:
  AllowlistPipelineTest() : ProviderPipelineTest(10, Path("p1\n")) {}
  static std::string Path(const std::string& text) {
    const std::string path = ::testing::TempDir() + "/allowlist.txt";
    std::ofstream(path, std::ios::trunc) << text;
    return path;
  }
};

TEST_F(AllowlistPipelineTest, UnlistedProviderIsRejectedAfterKeyMismatch) {
  v1::ServiceEvent e;
  e.set_event_id("x");
  e.set_type(v1::EVENT_TYPE_REFERRAL);
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(kNow) - 60);
  e.set_provider_id("p9");
  e.set_program_id("w");
  e.set_client_key("c1");
  pipeline_.Process(KafkaMessage{"t", 0, 0, "other", e.SerializeAsString()});
  Feed(0, 1, "a", "p9");
  Feed(0, 2, "b", "p1");
  EXPECT_THAT(dlq_.sent, ElementsAre("key_mismatch@0", "unknown_provider@1"));
  EXPECT_EQ(Rejected(RejectReason::kUnknownProvider), 1);
  EXPECT_EQ(Accepted(), 1);
  EXPECT_EQ(gate_->providers(), 1u);  // p9 took no slot

  Path("p1\np9\n");
  ASSERT_TRUE(gate_->Reload().ok());
  Feed(0, 3, "a", "p9");  // listed now; "a" was never deduped
  EXPECT_EQ(Accepted(), 2);
  EXPECT_EQ(metrics_.duplicates().Value(), 0);
}

}  // namespace
}  // namespace outcomes

// A sink whose appliers log when they would take and give back the
// partition's lock, as the daemon's StateSink does.
class LockingSink : public RecordingSink {
 public:
  class LoggingApplier : public PartitionApplier {
   public:
    LoggingApplier(LockingSink& sink, PartitionId id)
        : sink_(sink), id_(std::move(id)) {}
    void Apply(const EventView& e, DayNumber) override {
      if (!held_) sink_.log.push_back("lock " + id_.ToString());
      held_ = true;
      sink_.log.push_back("apply " + id_.ToString() + " " +
                          std::string(e.event_id()));
    }
    void Release() override {
      if (held_) sink_.log.push_back("unlock " + id_.ToString());
      held_ = false;
    }

   private:
    LockingSink& sink_;
    const PartitionId id_;
    bool held_ = false;
  };
  std::unique_ptr<PartitionApplier> Applier(const PartitionId& id) override {
    return std::make_unique<LoggingApplier>(*this, id);
  }
};

TEST(PipelineApplierTest, OneLockPerPartitionAndBatchReleasedBeforeRevoke) {
  FakeClock clock(kNow);
  prometheus::Registry registry;
  IngestMetrics metrics(registry);
  LockingSink sink;
  RecordingDeadLetters dlq;
  IngestPipeline pipeline(ValidationSettings{}, clock, metrics, sink, dlq);
  pipeline.Assign({PartitionId{"t", 0}, -1});
  pipeline.Assign({PartitionId{"t", 1}, -1});
  const auto event = [](const std::string& id) {
    v1::ServiceEvent e;
    e.set_event_id(id);
    e.set_type(v1::EVENT_TYPE_REFERRAL);
    e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(kNow) - 60);
    e.set_provider_id("p1");
    e.set_program_id("w");
    e.set_client_key("c1");
    return e.SerializeAsString();
  };
  const std::string a = event("a"), b = event("b"), c = event("c"),
                    d = event("d");
  pipeline.BeginBatch();
  pipeline.Process(KafkaMessage{"t", 0, 0, "p1", a});
  pipeline.Process(KafkaMessage{"t", 1, 0, "p1", b});
  pipeline.Process(KafkaMessage{"t", 0, 1, "p1", c});
  pipeline.EndBatch();
  pipeline.BeginBatch();
  pipeline.Process(KafkaMessage{"t", 1, 1, "p1", d});
  pipeline.Revoke(PartitionId{"t", 1});  // a rebalance inside a poll
  EXPECT_THAT(sink.log,
              ElementsAre("assign t/0", "assign t/1", "lock t/0", "apply t/0 a",
                          "lock t/1", "apply t/1 b", "apply t/0 c",
                          "unlock t/0", "unlock t/1", "lock t/1", "apply t/1 d",
                          "unlock t/1", "revoke t/1"));
}

TEST_F(PipelineTest, ProcessBatchProcessesEachMessageInOrder) {
  const std::string a = Event("a", v1::EVENT_TYPE_REFERRAL);
  const std::string b = Event("b", v1::EVENT_TYPE_ENROLLMENT);
  const std::vector<KafkaMessage> batch = {{"t", 0, 0, "p1", a},
                                           {"t", 0, 1, "p1", "{broken"},
                                           {"t", 0, 2, "p1", a},
                                           {"t", 0, 3, "p1", b}};
  pipeline_.ProcessBatch(batch);
  pipeline_.FlushMetrics();
  EXPECT_EQ(metrics_.duplicates().Value(), 1);
  EXPECT_THAT(dlq_.sent, ElementsAre("malformed@1"));
  EXPECT_THAT(sink_.log,
              ElementsAre("assign t/0", "apply t/0 a", "apply t/0 b"));
  EXPECT_EQ(pipeline_.Position(PartitionId{"t", 0}), 4);
}

}  // namespace
}  // namespace outcomes
