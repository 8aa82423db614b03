#include "daemon/consumer_loop.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "daemon/json_log.h"

namespace outcomes {
namespace {

constexpr absl::Duration kPollTimeout = absl::Milliseconds(100);
constexpr absl::Duration kDeadLetterFlushTimeout = absl::Seconds(2);
constexpr absl::Duration kLagInterval = absl::Seconds(1);

}  // namespace

ConsumerLoop::ConsumerLoop(IngestPipeline& pipeline,
                           DeadLetterSink& dead_letters,
                           IngestMetrics& metrics,
                           absl::Duration commit_interval)
    : pipeline_(pipeline),
      dead_letters_(dead_letters),
      metrics_(metrics),
      commit_interval_(commit_interval) {}

void ConsumerLoop::Run() {
  absl::Time next_commit = absl::Now() + commit_interval_;
  absl::Time next_lag = absl::Now();
  absl::Time first_message = absl::InfinitePast();
  const auto handle = [&](const KafkaMessage& m) {
    if (first_message == absl::InfinitePast()) first_message = absl::Now();
    pipeline_.Process(m);
  };
  while (!stop_.load()) {
    pipeline_.BeginBatch();
    first_message = absl::InfinitePast();
    if (absl::Status s = consumer_->PollBatch(kPollTimeout, handle); !s.ok()) {
      Log(LogLevel::kWarning, "poll failed", {{"error", s.ToString()}});
    }
    pipeline_.FlushMetrics();
    const absl::Time end = absl::Now();
    if (first_message != absl::InfinitePast()) {
      metrics_.batch_seconds().Observe(absl::ToDoubleSeconds(end - first_message));
    }
    if (end >= next_commit) {
      CommitProcessed();
      next_commit = end + commit_interval_;
    }
    if (end >= next_lag) {
      UpdateLagAndReadiness();
      next_lag = end + kLagInterval;
    }
  }
  Log(LogLevel::kInfo, "stopping: committing processed offsets");
  metrics_.ready().Set(0);
  CommitProcessed();
  consumer_->Close();
  Log(LogLevel::kInfo, "stopped",
      {{"accepted", static_cast<long long>(metrics_.TotalAccepted())},
       {"rejected", static_cast<long long>(metrics_.TotalRejected())},
       {"duplicates", static_cast<long long>(metrics_.duplicates().Value())}});
}

void ConsumerLoop::OnAssigned(const std::vector<PartitionOffset>& assigned) {
  for (const PartitionOffset& start : assigned) {
    pipeline_.Assign(start);
    Log(LogLevel::kInfo, "partition assigned",
        {{"partition", start.id.ToString()}, {"offset", start.next_offset}});
  }
  joined_ = true;
  caught_up_ = false;
  metrics_.assigned_partitions().Set(pipeline_.Positions().size());
}

void ConsumerLoop::OnRevoked(const std::vector<PartitionId>& revoked) {
  CommitProcessed(revoked);
  for (const PartitionId& id : revoked) {
    pipeline_.Revoke(id);
    metrics_.RemoveLag(id);
    Log(LogLevel::kInfo, "partition revoked", {{"partition", id.ToString()}});
  }
  // A revocation is followed by a new assignment (possibly empty): until
  // then the figures are incomplete, so not ready.
  joined_ = false;
  caught_up_ = false;
  metrics_.ready().Set(0);
  metrics_.assigned_partitions().Set(pipeline_.Positions().size());
}

void ConsumerLoop::CommitProcessed(const std::vector<PartitionId>& only) {
  std::vector<PartitionOffset> offsets = pipeline_.Uncommitted();
  if (!only.empty()) {
    std::erase_if(offsets, [&only](const PartitionOffset& o) {
      return std::find(only.begin(), only.end(), o.id) == only.end();
    });
  }
  if (offsets.empty()) return;
  if (absl::Status s = dead_letters_.Flush(kDeadLetterFlushTimeout); !s.ok()) {
    metrics_.dead_letter_failures().Increment();
    Log(LogLevel::kError, "not committing: dead letters not delivered",
        {{"error", s.ToString()}});
    return;
  }
  if (absl::Status s = consumer_->Commit(offsets); !s.ok()) {
    metrics_.commit_failures().Increment();
    Log(LogLevel::kWarning, "commit failed", {{"error", s.ToString()}});
    return;
  }
  pipeline_.MarkCommitted(offsets);
}

void ConsumerLoop::UpdateLagAndReadiness() {
  bool all_caught_up = joined_;
  for (const PartitionOffset& p : pipeline_.Positions()) {
    int64_t low = -1, high = -1;
    if (!consumer_->Watermarks(p.id, &low, &high)) {
      all_caught_up = false;
      continue;
    }
    const int64_t next = std::max(p.next_offset, low);
    const int64_t lag = std::max<int64_t>(0, high - next);
    metrics_.lag(p.id).Set(static_cast<double>(lag));
    if (lag > 0) all_caught_up = false;
  }
  if (all_caught_up && !caught_up_) {
    caught_up_ = true;
    Log(LogLevel::kInfo, "caught up: ready");
  }
  metrics_.ready().Set(caught_up_ ? 1 : 0);
}

}  // namespace outcomes
