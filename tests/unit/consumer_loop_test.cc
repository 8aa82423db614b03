#include "daemon/ingest/consumer_loop.h"

#include <deque>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

using ::testing::ElementsAre;

const absl::Time kNow = absl::FromUnixSeconds(1795000000);

// A consumer that replays scripted batches and records commits.
class FakeConsumer : public EventConsumer {
 public:
  explicit FakeConsumer(RebalanceListener& listener) : listener_(listener) {}

  absl::Status PollBatch(
      absl::Duration,
      const std::function<void(absl::Span<const KafkaMessage>)>& handle)
      override {
    if (!assigned_) {
      assigned_ = true;
      std::vector<PartitionOffset> assigned = {start};
      listener_.OnAssigned(assigned);
    }
    if (batches_.empty()) {
      // The loop updates lag and readiness after each poll; look at them
      // once, after the last batch was handled, then stop.
      if (++idle_polls_ == 2) {
        if (on_drained) on_drained();
        stop_when_drained_->RequestStop(stop_deadline);
      }
      return absl::OkStatus();
    }
    if (++delivered_ == rebalance_before_batch) {
      listener_.OnRevoked({PartitionId{"t", 0}});
      std::vector<PartitionOffset> again = {reassign};
      listener_.OnAssigned(again);
    }
    std::vector<KafkaMessage> messages;
    for (const auto& [offset, value] : batches_.front()) {
      messages.push_back(KafkaMessage{"t", 0, offset, "p", value});
    }
    handle(messages);
    batches_.pop_front();
    return absl::OkStatus();
  }
  absl::Status CommitAsync(
      const std::vector<PartitionOffset>& offsets) override {
    for (const auto& o : offsets) commits.push_back(o.next_offset);
    if (!async_results_never_come)
      results_.push_back({offsets, absl::OkStatus()});
    return absl::OkStatus();
  }
  absl::Status CommitSync(const std::vector<PartitionOffset>& offsets,
                          absl::Time deadline) override {
    sync_deadlines.push_back(deadline);
    if (sync_commit_times_out) {
      return absl::DeadlineExceededError("no coordinator");
    }
    for (const auto& o : offsets) commits.push_back(o.next_offset);
    return absl::OkStatus();
  }
  std::vector<CommitResult> TakeCommitResults() override {
    return std::exchange(results_, {});
  }
  bool AssignmentLost() override { return lost; }
  bool Watermarks(const PartitionId&, int64_t* low, int64_t* high) override {
    *low = 0;
    *high = high_watermark;
    return true;
  }
  bool Reachable() override { return reachable; }
  void Close(absl::Time deadline, bool leave_group) override {
    close_deadline = deadline;
    left_group = leave_group;
    if (leave_group) listener_.OnRevoked({PartitionId{"t", 0}});
  }

  std::deque<std::vector<std::pair<int64_t, std::string>>> batches_;
  ConsumerLoop* stop_when_drained_ = nullptr;
  std::function<void()> on_drained;
  int idle_polls_ = 0;
  std::vector<int64_t> commits;
  std::vector<absl::Time> sync_deadlines;
  bool sync_commit_times_out = false;
  bool async_results_never_come = false;
  absl::Time stop_deadline = absl::InfiniteFuture();
  std::optional<absl::Time> close_deadline;
  std::optional<bool> left_group;
  int64_t high_watermark = 0;
  bool reachable = true;
  bool lost = false;
  int rebalance_before_batch = 0;  // 1-based; 0 = never
  PartitionOffset reassign{PartitionId{"t", 0}, -1, -1};
  int delivered_ = 0;
  std::vector<CommitResult> results_;
  PartitionOffset start{PartitionId{"t", 0}, -1, -1};

 private:
  RebalanceListener& listener_;
  bool assigned_ = false;
};

class FlakyDeadLetters : public DeadLetterSink {
 public:
  void Send(const KafkaMessage&, std::string_view, std::string_view) override {
    ++sent;
  }
  absl::Status Flush(absl::Duration) override {
    return fail ? absl::UnavailableError("down") : absl::OkStatus();
  }
  int sent = 0;
  bool fail = false;
};

class NoSink : public AcceptedEventSink {
  void AssignPartition(const PartitionId&) override {}
  void RevokePartition(const PartitionId&) override {}
  void Apply(const PartitionId&, const EventView&, DayNumber) override {}
};

std::string ValidEvent(const std::string& id) {
  v1::ServiceEvent e;
  e.set_event_id(id);
  e.set_type(v1::EVENT_TYPE_REFERRAL);
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(kNow) - 60);
  e.set_provider_id("p");
  e.set_program_id("w");
  e.set_client_key("c");
  return e.SerializeAsString();
}

class ConsumerLoopTest : public ::testing::Test {
 protected:
  ConsumerLoopTest()
      : clock_(kNow),
        metrics_(registry_),
        pipeline_(ValidationSettings{}, clock_, metrics_, sink_, dlq_),
        loop_(pipeline_, dlq_, metrics_, absl::ZeroDuration()),
        consumer_(loop_) {
    loop_.SetConsumer(&consumer_);
    consumer_.stop_when_drained_ = &loop_;
  }

  FakeClock clock_;
  prometheus::Registry registry_;
  IngestMetrics metrics_;
  NoSink sink_;
  FlakyDeadLetters dlq_;
  IngestPipeline pipeline_;
  ConsumerLoop loop_;
  FakeConsumer consumer_;
};

TEST_F(ConsumerLoopTest, CommitsProcessedOffsetsAndStopsCleanly) {
  consumer_.batches_.push_back({{0, ValidEvent("a")}, {1, "{bad"}});
  consumer_.batches_.push_back({{2, ValidEvent("b")}});
  loop_.Run();
  EXPECT_EQ(metrics_.TotalRejected(), 1);
  EXPECT_EQ(metrics_.duplicates().Value(), 0);
  EXPECT_EQ(metrics_.TotalAccepted(), 2);
  EXPECT_EQ(dlq_.sent, 1);
  ASSERT_FALSE(consumer_.commits.empty());
  EXPECT_EQ(consumer_.commits.back(), 3);
}

TEST_F(ConsumerLoopTest, NoCommitWhileDeadLettersAreUndelivered) {
  dlq_.fail = true;
  consumer_.batches_.push_back({{0, ValidEvent("a")}, {1, "{bad"}});
  loop_.Run();
  EXPECT_TRUE(consumer_.commits.empty());
  EXPECT_GE(metrics_.dead_letter_failures().Value(), 1);
}

TEST_F(ConsumerLoopTest, NotReadyWhileBehind) {
  consumer_.high_watermark = 5;  // more than will ever be consumed
  consumer_.batches_.push_back({{0, ValidEvent("a")}});
  double ready = -1, lag = -1;
  consumer_.on_drained = [&] {
    ready = metrics_.ready().Value();
    lag = metrics_.lag(PartitionId{"t", 0}).Value();
  };
  loop_.Run();
  EXPECT_EQ(ready, 0);
  EXPECT_EQ(lag, 4);
  EXPECT_EQ(metrics_.ready().Value(), 0);  // and not ready once stopped
}

TEST_F(ConsumerLoopTest, ReadyWhenCaughtUp) {
  consumer_.high_watermark = 2;
  consumer_.batches_.push_back({{0, ValidEvent("a")}, {1, ValidEvent("b")}});
  double ready = -1, lag = -1;
  consumer_.on_drained = [&] {
    ready = metrics_.ready().Value();
    lag = metrics_.lag(PartitionId{"t", 0}).Value();
  };
  loop_.Run();
  EXPECT_EQ(ready, 1);
  EXPECT_EQ(lag, 0);
}

// The measured bug: lag was computed from the committed offset, so a
// restarted daemon was ready while its replay below that offset still ran.
TEST_F(ConsumerLoopTest, NotReadyWhileReplayingBelowTheCommittedOffset) {
  consumer_.start = {PartitionId{"t", 0}, /*next_offset=*/10,
                     /*replay_from=*/0, /*low_watermark=*/0};
  consumer_.high_watermark = 10;
  consumer_.batches_.push_back({{0, ValidEvent("a")},
                                {1, ValidEvent("b")},
                                {2, ValidEvent("c")},
                                {3, ValidEvent("d")},
                                {4, ValidEvent("e")}});
  double ready = -1, lag = -1;
  bool judgeable = true;
  consumer_.on_drained = [&] {
    ready = metrics_.ready().Value();
    lag = metrics_.lag(PartitionId{"t", 0}).Value();
    judgeable = loop_.judgeable();
  };
  loop_.Run();
  EXPECT_EQ(ready, 0);
  EXPECT_EQ(lag, 5);
  EXPECT_FALSE(judgeable);
  EXPECT_EQ(metrics_.replayed().Value(), 5);
  EXPECT_EQ(metrics_.TotalAccepted(), 0);  // counted by the earlier owner
}

TEST_F(ConsumerLoopTest, ReadyOnceTheReplayReachedTheCommittedOffset) {
  consumer_.start = {PartitionId{"t", 0}, 2, 0, 0};
  consumer_.high_watermark = 3;
  consumer_.batches_.push_back(
      {{0, ValidEvent("a")}, {1, ValidEvent("b")}, {2, ValidEvent("c")}});
  double ready = -1;
  consumer_.on_drained = [&] { ready = metrics_.ready().Value(); };
  loop_.Run();
  EXPECT_EQ(ready, 1);
  EXPECT_EQ(metrics_.replayed().Value(), 2);
  EXPECT_EQ(metrics_.TotalAccepted(), 1);
}

TEST_F(ConsumerLoopTest, UnreachableBrokersMakeItNotReadyButStillJudgeable) {
  consumer_.high_watermark = 1;
  consumer_.reachable = false;
  consumer_.batches_.push_back({{0, ValidEvent("a")}});
  double ready = -1;
  bool judgeable = false;
  std::string reason;
  consumer_.on_drained = [&] {
    ready = metrics_.ready().Value();
    judgeable = loop_.judgeable();
    reason = loop_.NotReadyReason();
  };
  loop_.Run();
  EXPECT_EQ(ready, 0);
  EXPECT_TRUE(judgeable);
  EXPECT_EQ(reason, "kafka brokers unreachable");
}

TEST_F(ConsumerLoopTest, HistoryCompleteMetricForATruncatedLog) {
  // Retention removed offsets 0..99; reading starts at the log start.
  consumer_.start = {PartitionId{"t", 0}, -1, -1, /*low_watermark=*/100};
  consumer_.high_watermark = 101;
  v1::ServiceEvent e;
  ASSERT_TRUE(e.ParseFromString(ValidEvent("a")));
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(kNow) - 40 * 86400);
  consumer_.batches_.push_back({{100, e.SerializeAsString()}});
  double complete = -1;
  consumer_.on_drained = [&] {
    complete = metrics_.history_complete(PartitionId{"t", 0}).Value();
  };
  loop_.Run();
  EXPECT_EQ(complete, 0);
}

TEST_F(ConsumerLoopTest, NoCommitWhileNoBrokerAnswers) {
  consumer_.reachable = false;
  consumer_.high_watermark = 1;
  consumer_.batches_.push_back({{0, ValidEvent("a")}});
  loop_.Run();
  EXPECT_TRUE(consumer_.commits.empty());  // periodic, final and revocation
}

TEST_F(ConsumerLoopTest, NoBrokerAtTheStopMeansTheGroupIsNotLeft) {
  consumer_.reachable = false;
  consumer_.stop_deadline = absl::Now() + absl::Seconds(3);
  consumer_.batches_.push_back({{0, ValidEvent("a")}});
  loop_.Run();
  EXPECT_TRUE(consumer_.sync_deadlines.empty());
  EXPECT_EQ(consumer_.left_group, false);
  EXPECT_EQ(consumer_.close_deadline, consumer_.stop_deadline);
}

// docs/design.md, "Shutdown": the final commit gets half the time left, the
// group is left by the stop's deadline.
TEST_F(ConsumerLoopTest, StopDeadlineBoundsTheFinalCommitAndTheClose) {
  consumer_.async_results_never_come = true;  // still uncommitted at stop
  const absl::Time start = absl::Now();
  consumer_.stop_deadline = start + absl::Seconds(4);
  consumer_.high_watermark = 1;
  consumer_.batches_.push_back({{0, ValidEvent("a")}});
  loop_.Run();
  // Stop at t (start <= t, well under a second later): the final commit
  // may wait until t + (deadline - t) / 2, i.e. from start + 2 s.
  ASSERT_EQ(consumer_.sync_deadlines.size(), 1);
  EXPECT_GE(consumer_.sync_deadlines[0], start + absl::Seconds(2));
  EXPECT_LE(consumer_.sync_deadlines[0], start + absl::Milliseconds(2500));
  EXPECT_EQ(consumer_.close_deadline, consumer_.stop_deadline);
  EXPECT_EQ(consumer_.left_group, true);
  EXPECT_EQ(consumer_.commits.back(), 1);
}

TEST_F(ConsumerLoopTest, FinalCommitOutOfTimeLeavesItUncommittedAndGoes) {
  consumer_.async_results_never_come = true;
  consumer_.sync_commit_times_out = true;
  consumer_.stop_deadline = absl::Now() + absl::Seconds(3);
  consumer_.batches_.push_back({{0, ValidEvent("a")}});
  loop_.Run();
  EXPECT_EQ(consumer_.sync_deadlines.size(), 1);
  EXPECT_EQ(metrics_.commit_failures().Value(), 1);
  // Not committed: read again by the partition's next owner.
  EXPECT_EQ(consumer_.left_group, false);
  EXPECT_EQ(consumer_.close_deadline, consumer_.stop_deadline);
}

TEST_F(ConsumerLoopTest, LostPartitionsAreNotCommitted) {
  consumer_.lost = true;
  consumer_.high_watermark = 1;
  consumer_.batches_.push_back({{0, ValidEvent("a")}});
  loop_.Run();
  // The final commit at stop happens; the revocation in Close commits
  // nothing more because the assignment was lost.
  EXPECT_EQ(consumer_.commits, (std::vector<int64_t>{1}));
}

// Revoked with its processed offsets uncommitted (the commit failed or the
// assignment was lost) and assigned again from the older committed offset:
// the messages counted before are replayed, not counted a second time.
TEST_F(ConsumerLoopTest, ReassignedAfterAFailedCommitCountsNothingTwice) {
  dlq_.fail = false;
  consumer_.lost = true;  // the revocation cannot commit
  consumer_.high_watermark = 4;
  consumer_.batches_.push_back({{0, ValidEvent("a")}, {1, ValidEvent("b")}});
  // Back from committed offset 0 (nothing was committed).
  consumer_.rebalance_before_batch = 2;
  consumer_.reassign = {PartitionId{"t", 0}, 0, -1, 0};
  consumer_.batches_.push_back({{0, ValidEvent("a")},
                                {1, ValidEvent("b")},
                                {2, ValidEvent("c")},
                                {3, ValidEvent("d")}});
  loop_.Run();
  EXPECT_EQ(metrics_.TotalAccepted(), 4);
  EXPECT_EQ(metrics_.replayed().Value(), 2);
  EXPECT_EQ(metrics_.duplicates().Value(), 0);
}

}  // namespace
}  // namespace outcomes
