#include "daemon/checkpointer.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "daemon/base/checked_file.h"
#include "daemon/http/http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1795000000);
const PartitionId kP{"outcomes.events", 2};

class StoreSink : public AcceptedEventSink {
 public:
  explicit StoreSink(StateStore& store) : store_(store) {}
  void AssignPartition(const PartitionId& id) override { store_.Assign(id); }
  void RevokePartition(const PartitionId& id) override { store_.Revoke(id); }
  void Apply(const PartitionId& id, const EventView& e,
             DayNumber day) override {
    store_.Apply(id, e, day);
  }

 private:
  StateStore& store_;
};

class NullDeadLetters : public DeadLetterSink {
 public:
  void Send(const KafkaMessage&, std::string_view, std::string_view) override {}
  absl::Status Flush(absl::Duration) override { return absl::OkStatus(); }
};

std::string Referral(const std::string& id, const std::string& client) {
  v1::ServiceEvent e;
  e.set_event_id(id);
  e.set_type(v1::EVENT_TYPE_REFERRAL);
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(kNow) - 3 * 86400);
  e.set_provider_id("prov-1");
  e.set_program_id("workforce");
  e.set_client_key(client);
  return e.SerializeAsString();
}

// One daemon's worth of ingest state: store, pipeline, checkpointer.
struct Instance {
  explicit Instance(const std::string& dir, const StateSettings& settings = {})
      : metrics(registry),
        store(settings),
        sink(store),
        pipeline(ValidationSettings{}, clock, metrics, sink, dlq),
        checkpointer({dir, absl::Seconds(30)}, store, clock, registry) {}

  // Assigns kP as the consumer loop does, with checkpoint restore.
  bool Assign(PartitionOffset& start) {
    std::optional<RestoredPartition> r = checkpointer.Restore(start);
    if (r) {
      pipeline.Assign(start, std::move(r->dedupe), r->history_from);
    } else {
      pipeline.Assign(start);
    }
    return r.has_value();
  }
  void Feed(int64_t offset, const std::string& value) {
    pipeline.Process(
        KafkaMessage{kP.topic, kP.partition, offset, "prov-1", value});
    pipeline.FlushMetrics();
  }
  void CommitAll() { pipeline.MarkCommitted(pipeline.Uncommitted()); }
  int64_t Referrals() {
    StoreSnapshot s = store.Snapshot(DayOf(kNow, absl::UTCTimeZone()));
    if (s.partitions.empty() || s.partitions[0].programs.empty()) return 0;
    return s.partitions[0].programs[0].windows[0].events[kReferral];
  }
  std::string Metrics() { return RenderMetrics(registry); }

  FakeClock clock{kNow};
  prometheus::Registry registry;
  IngestMetrics metrics;
  StateStore store;
  StoreSink sink;
  NullDeadLetters dlq;
  IngestPipeline pipeline;
  Checkpointer checkpointer;
};

class CheckpointerTest : public ::testing::Test {
 protected:
  CheckpointerTest()
      : dir_(
            std::filesystem::temp_directory_path() /
            ("ckpt-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~CheckpointerTest() override { std::filesystem::remove_all(dir_); }

  // A first daemon that ingested offsets 0..4 (5 referrals) and
  // checkpointed at committed offset 5.
  void WriteCheckpointOfFive(const StateSettings& settings = {}) {
    Instance first(dir_, settings);
    PartitionOffset start{kP, -1, -1, 0};
    first.Assign(start);
    for (int i = 0; i < 5; ++i) {
      first.Feed(i, Referral("e" + std::to_string(i), "c" + std::to_string(i)));
    }
    first.CommitAll();
    first.checkpointer.Write(first.pipeline, /*force=*/false);
    ASSERT_TRUE(std::filesystem::exists(File()));
  }
  std::string File() const {
    return (dir_ / "partitions" / "outcomes.events-2.ckpt").string();
  }

  std::filesystem::path dir_;
};

std::string Failures(const std::string& metrics, const std::string& reason) {
  const std::string key =
      "outcomes_checkpoint_failures_total{reason=\"" + reason + "\"} ";
  const size_t at = metrics.find(key);
  return at == std::string::npos
             ? "absent"
             : metrics.substr(at + key.size(),
                              metrics.find('\n', at) - at - key.size());
}

TEST_F(CheckpointerTest, RestoresStateAndDedupeAndReplaysOnlyWhatFollows) {
  WriteCheckpointOfFive();
  Instance second(dir_);
  PartitionOffset start{kP, /*next_offset=*/7, /*replay_from=*/0, 0};
  ASSERT_TRUE(second.Assign(start));
  EXPECT_EQ(start.replay_from, 5);  // offsets 5 and 6 are replayed
  EXPECT_EQ(second.Referrals(), 5);
  second.Feed(5, Referral("e5", "c5"));
  second.Feed(6, Referral("e0", "c0"));  // a re-sent event: deduped
  EXPECT_TRUE(second.pipeline.Progress()[0].rebuilt);
  EXPECT_EQ(second.Referrals(), 6);
  EXPECT_EQ(second.metrics.replayed().Value(), 1);
  EXPECT_THAT(second.Metrics(),
              HasSubstr("outcomes_checkpoint_restores_total 1"));
}

TEST_F(CheckpointerTest, CheckpointAtTheCommittedOffsetNeedsNoReplay) {
  WriteCheckpointOfFive();
  Instance second(dir_);
  PartitionOffset start{kP, 5, 0, 0};
  ASSERT_TRUE(second.Assign(start));
  EXPECT_EQ(start.replay_from, -1);
  EXPECT_TRUE(second.pipeline.Progress()[0].rebuilt);
}

TEST_F(CheckpointerTest, RandomBytesAreCountedAndRebuilt) {
  WriteCheckpointOfFive();
  std::mt19937 rng(7);
  std::string junk(4096, '\0');
  for (char& c : junk) c = static_cast<char>(rng());
  std::ofstream(File(), std::ios::binary | std::ios::trunc) << junk;
  Instance second(dir_);
  PartitionOffset start{kP, 5, 0, 0};
  EXPECT_FALSE(second.Assign(start));
  EXPECT_EQ(start.replay_from, 0);  // unchanged: full rebuild from Kafka
  EXPECT_EQ(second.Referrals(), 0);
  EXPECT_EQ(Failures(second.Metrics(), "corrupt"), "1");
}

TEST_F(CheckpointerTest, OneFlippedBitIsCaught) {
  WriteCheckpointOfFive();
  std::string data;
  {
    std::ifstream in(File(), std::ios::binary);
    data.assign(std::istreambuf_iterator<char>(in), {});
  }
  data[data.size() / 2] ^= 0x10;
  std::ofstream(File(), std::ios::binary | std::ios::trunc) << data;
  Instance second(dir_);
  PartitionOffset start{kP, 5, 0, 0};
  EXPECT_FALSE(second.Assign(start));
  EXPECT_EQ(Failures(second.Metrics(), "corrupt"), "1");
}

TEST_F(CheckpointerTest, UnknownVersionIsNotTrusted) {
  WriteCheckpointOfFive();
  absl::StatusOr<CheckedFile> file = ReadCheckedFile(File(), "OCKP");
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(WriteCheckedFile(File(), "OCKP", 99, file->payload).ok());
  Instance second(dir_);
  PartitionOffset start{kP, 5, 0, 0};
  EXPECT_FALSE(second.Assign(start));
  EXPECT_EQ(Failures(second.Metrics(), "version"), "1");
}

StateSettings WithKey(std::string_view secret) {
  StateSettings s;
  s.client_hasher = *ClientHasher::FromSecret(secret);
  return s;
}

// A checkpoint made under key A, restored under key B: its hashes would not
// match B's, so it is refused as key_changed and the partition rebuilt from
// Kafka; the rebuild is not counted again, and B's own checkpoint is used
// at the next restart.
TEST_F(CheckpointerTest, OtherKeyIsCountedAsKeyChangedAndRebuilt) {
  WriteCheckpointOfFive(WithKey("key A: sixteen bytes or more"));
  const StateSettings b = WithKey("key B: sixteen bytes or more");
  {
    Instance second(dir_, b);
    PartitionOffset start{kP, 5, 0, 0};
    EXPECT_FALSE(second.Assign(start));
    EXPECT_EQ(start.replay_from, 0);  // unchanged: full rebuild from Kafka
    EXPECT_EQ(second.Referrals(), 0);
    EXPECT_EQ(Failures(second.Metrics(), "key_changed"), "1");
    EXPECT_EQ(Failures(second.Metrics(), "corrupt"), "0");
    for (int i = 0; i < 5; ++i) {  // the replay
      second.Feed(i,
                  Referral("e" + std::to_string(i), "c" + std::to_string(i)));
    }
    EXPECT_TRUE(second.pipeline.Progress()[0].rebuilt);
    EXPECT_EQ(second.Referrals(), 5);
    EXPECT_EQ(second.metrics.replayed().Value(), 5);
    EXPECT_THAT(second.Metrics(),
                HasSubstr("outcomes_events_total{type=\"referral\"} 0"));
    second.checkpointer.Write(second.pipeline, /*force=*/true);
  }
  Instance third(dir_, b);
  PartitionOffset start{kP, 5, 0, 0};
  EXPECT_TRUE(third.Assign(start));
  EXPECT_EQ(third.Referrals(), 5);
  EXPECT_EQ(Failures(third.Metrics(), "key_changed"), "0");
}

TEST_F(CheckpointerTest, DefaultKeyCheckpointIsRefusedUnderAKeyFile) {
  WriteCheckpointOfFive();  // no --privacy.key_file
  Instance second(dir_, WithKey("key B: sixteen bytes or more"));
  PartitionOffset start{kP, 5, 0, 0};
  EXPECT_FALSE(second.Assign(start));
  EXPECT_EQ(Failures(second.Metrics(), "key_changed"), "1");
}

TEST_F(CheckpointerTest, CheckpointOutsideTheCommittedRangeIsStale) {
  WriteCheckpointOfFive();
  Instance second(dir_);
  PartitionOffset behind_commit{kP, 4, 0, 0};  // checkpoint is ahead
  EXPECT_FALSE(second.Assign(behind_commit));
  PartitionOffset truncated{kP, 9, 6, /*low_watermark=*/6};
  EXPECT_FALSE(second.Assign(truncated));
  EXPECT_EQ(Failures(second.Metrics(), "stale"), "2");
}

TEST_F(CheckpointerTest, MissingIsCountedOnlyWhenSomethingWasCommitted) {
  Instance only(dir_);
  PartitionOffset fresh{kP, -1, -1, 0};
  EXPECT_FALSE(only.Assign(fresh));
  EXPECT_EQ(Failures(only.Metrics(), "missing"), "0");
  PartitionOffset committed{kP, 3, 0, 0};
  EXPECT_FALSE(only.Assign(committed));
  EXPECT_EQ(Failures(only.Metrics(), "missing"), "1");
}

TEST_F(CheckpointerTest, UnwritableStateDirIsAMetricNotACrash) {
  // Root ignores permissions, so make "partitions" a file instead.
  std::ofstream(dir_ / "partitions") << "not a directory";
  Instance only(dir_);
  PartitionOffset start{kP, -1, -1, 0};
  only.Assign(start);
  only.Feed(0, Referral("e0", "c0"));
  only.CommitAll();
  only.checkpointer.Write(only.pipeline, /*force=*/true);
  EXPECT_EQ(Failures(only.Metrics(), "write"), "1");
  EXPECT_THAT(only.Metrics(), HasSubstr("outcomes_state_dir_writable 0"));
  EXPECT_THAT(only.checkpointer.StateDirProblem(), HasSubstr("partitions"));
  // Retried after the interval only, not at every call.
  only.checkpointer.Write(only.pipeline, /*force=*/false);
  EXPECT_EQ(Failures(only.Metrics(), "write"), "1");
}

TEST_F(CheckpointerTest, NothingIsWrittenMidReplayOrUncommitted) {
  Instance only(dir_);
  PartitionOffset start{kP, 3, 0, 0};
  only.Assign(start);
  only.Feed(0, Referral("e0", "c0"));  // replay running: state partial
  only.checkpointer.Write(only.pipeline, true);
  EXPECT_FALSE(std::filesystem::exists(File()));
  only.Feed(1, Referral("e1", "c1"));
  only.Feed(2, Referral("e2", "c2"));
  only.Feed(3, Referral("e3", "c3"));  // rebuilt, but 4 not committed yet
  only.checkpointer.Write(only.pipeline, true);
  EXPECT_FALSE(std::filesystem::exists(File()));
  only.CommitAll();
  only.checkpointer.Write(only.pipeline, true);
  EXPECT_TRUE(std::filesystem::exists(File()));
}

}  // namespace
}  // namespace outcomes
