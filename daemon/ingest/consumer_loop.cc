#include "daemon/ingest/consumer_loop.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "daemon/base/json_log.h"

namespace outcomes {
namespace {

constexpr absl::Duration kPollTimeout = absl::Milliseconds(100);
constexpr absl::Duration kDeadLetterFlushTimeout = absl::Seconds(2);
// A synchronous commit (at revocation, or a stop without a deadline) waits
// this long at most for the group coordinator.
constexpr absl::Duration kSyncCommitTimeout = absl::Seconds(10);
constexpr absl::Duration kLagInterval = absl::Seconds(1);
// While not ready, readiness is looked at after every poll: it turns ready
// as soon as the rebuilt figures are served, not up to a second later.
constexpr absl::Duration kNotReadyLagInterval = absl::Milliseconds(50);

}  // namespace

ConsumerLoop::ConsumerLoop(IngestPipeline& pipeline,
                           DeadLetterSink& dead_letters, IngestMetrics& metrics,
                           absl::Duration commit_interval,
                           PartitionCheckpoints* checkpoints)
    : pipeline_(pipeline),
      dead_letters_(dead_letters),
      metrics_(metrics),
      commit_interval_(commit_interval),
      checkpoints_(checkpoints) {}

void ConsumerLoop::Run() {
  absl::Time next_commit = absl::Now() + commit_interval_;
  absl::Time next_lag = absl::Now();
  absl::Time first_message = absl::InfinitePast();
  const auto handle = [&](absl::Span<const KafkaMessage> messages) {
    first_message = absl::Now();
    pipeline_.ProcessBatch(messages);
  };
  while (!stop_.load()) {
    pipeline_.BeginBatch();
    first_message = absl::InfinitePast();
    if (absl::Status s = consumer_->PollBatch(kPollTimeout, handle); !s.ok()) {
      Log(LogLevel::kWarning, "poll failed", {{"error", s.ToString()}});
    }
    pipeline_.EndBatch();
    pipeline_.FlushMetrics();
    TakeCommitResults();
    const absl::Time end = absl::Now();
    if (first_message != absl::InfinitePast()) {
      metrics_.batch_seconds().Observe(
          absl::ToDoubleSeconds(end - first_message));
    }
    if (end >= next_lag) {
      UpdateLagAndReadiness();
      next_lag = end + (metrics_.ready().Value() == 1 ? kLagInterval
                                                      : kNotReadyLagInterval);
    }
    if (end >= next_commit) {
      CommitProcessed({}, /*async=*/true).IgnoreError();  // logged, counted
      next_commit = end + commit_interval_;
    }
  }
  absl::Time deadline;
  {
    absl::MutexLock lock(&stop_mu_);
    deadline = stop_deadline_;
  }
  Stop(deadline);
  Log(LogLevel::kInfo, "stopped",
      {{"accepted", static_cast<long long>(metrics_.TotalAccepted())},
       {"rejected", static_cast<long long>(metrics_.TotalRejected())},
       {"duplicates", static_cast<long long>(metrics_.duplicates().Value())}});
}

void ConsumerLoop::RequestStop(absl::Time deadline) {
  {
    absl::MutexLock lock(&stop_mu_);
    stop_deadline_ = deadline;
  }
  stop_.store(true);
}

// Nothing accepted is lost when the broker is gone at the stop: offsets that
// cannot be committed by the deadline stay uncommitted, and the next owner of
// each partition reads those messages again (at-least-once; the dedupe index
// drops events its state already has). Checkpoints cover committed offsets
// only, so they stay true too.
void ConsumerLoop::Stop(absl::Time deadline) {
  Log(LogLevel::kInfo, "stopping: committing processed offsets");
  metrics_.ready().Set(0);
  judgeable_.store(false);
  SetNotReadyReason("stopping");
  const absl::Time now = absl::Now();
  stopping_commit_deadline_ = deadline == absl::InfiniteFuture()
                                  ? now + kSyncCommitTimeout
                                  : now + (deadline - now) / 2;
  reachable_ = consumer_->Reachable();
  const absl::Status committed = CommitProcessed({}, /*async=*/false);
  if (checkpoints_ != nullptr) checkpoints_->Write(pipeline_, /*force=*/true);
  // Leaving the group (and the commit at its revocation) needs a broker: not
  // tried when none answers the probe or the final commit ran out of time.
  const bool answers = reachable_ && !absl::IsDeadlineExceeded(committed);
  stopping_commit_deadline_ = deadline;
  consumer_->Close(deadline, /*leave_group=*/answers);
}

absl::Time ConsumerLoop::SyncCommitDeadline() const {
  if (stopping_commit_deadline_) {
    return std::min(*stopping_commit_deadline_,
                    absl::Now() + kSyncCommitTimeout);
  }
  return absl::Now() + kSyncCommitTimeout;
}

void ConsumerLoop::OnAssigned(std::vector<PartitionOffset>& assigned) {
  pipeline_.EndBatch();  // checkpoints restore under the partitions' locks
  for (PartitionOffset& start : assigned) {
    pipeline_.Revoke(start.id);
    if (auto it = counted_until_.find(start.id); it != counted_until_.end()) {
      if (start.next_offset >= 0 && it->second > start.next_offset) {
        // Messages this process counted before the partition was revoked
        // without its commit: replay them, do not count them again.
        if (start.replay_from < 0) start.replay_from = start.next_offset;
        start.next_offset = it->second;
      }
      counted_until_.erase(it);
    }
    std::optional<RestoredPartition> restored;
    if (checkpoints_ != nullptr) restored = checkpoints_->Restore(start);
    if (restored) {
      pipeline_.Assign(start, std::move(restored->dedupe),
                       restored->history_from);
    } else {
      pipeline_.Assign(start);
    }
    reported_[start.id] = Reported{};
    Log(LogLevel::kInfo, "partition assigned",
        {{"partition", start.id.ToString()},
         {"offset", start.next_offset},
         {"replay_from", start.replay_from},
         {"checkpoint", restored ? "restored" : "none"}});
  }
  joined_ = true;
  caught_up_ = false;
  judgeable_.store(false);
  metrics_.ready().Set(0);
  SetNotReadyReason("rebuilding partition state");
  metrics_.assigned_partitions().Set(pipeline_.Positions().size());
}

void ConsumerLoop::OnRevoked(const std::vector<PartitionId>& revoked) {
  pipeline_.EndBatch();  // checkpoints are written under the same locks
  if (consumer_->AssignmentLost()) {
    // The session timed out (brokers unreachable): the partitions are gone
    // already; a commit would fail after blocking the consumer thread.
    Log(LogLevel::kWarning, "partitions lost: not committing");
  } else {
    CommitProcessed(revoked, /*async=*/false).IgnoreError();  // ditto
  }
  if (checkpoints_ != nullptr) checkpoints_->Write(pipeline_, /*force=*/true);
  for (const PartitionId& id : revoked) {
    // Processed but not committed: if the partition comes back, those
    // messages rebuild state without being counted a second time.
    const int64_t processed = pipeline_.Position(id);
    if (processed >= 0) counted_until_[id] = processed;
    pipeline_.Revoke(id);
    if (checkpoints_ != nullptr) checkpoints_->Forget(id);
    metrics_.RemovePartition(id);
    reported_.erase(id);
    Log(LogLevel::kInfo, "partition revoked", {{"partition", id.ToString()}});
  }
  // A revocation is followed by a new assignment (possibly empty): until
  // then the figures are incomplete, so not ready.
  joined_ = false;
  caught_up_ = false;
  judgeable_.store(false);
  metrics_.ready().Set(0);
  SetNotReadyReason("rebalancing");
  metrics_.assigned_partitions().Set(pipeline_.Positions().size());
}

absl::Status ConsumerLoop::CommitProcessed(const std::vector<PartitionId>& only,
                                           bool async) {
  // With no broker answering, a commit (and the dead-letter flush before
  // it) would only block the consumer thread: retried once one answers.
  if (!reachable_) return absl::UnavailableError("no kafka broker answers");
  std::vector<PartitionOffset> offsets = pipeline_.Uncommitted();
  if (!only.empty()) {
    std::erase_if(offsets, [&only](const PartitionOffset& o) {
      return std::find(only.begin(), only.end(), o.id) == only.end();
    });
  }
  if (offsets.empty()) return absl::OkStatus();
  const absl::Time deadline = SyncCommitDeadline();
  const absl::Duration flush_timeout =
      async ? kDeadLetterFlushTimeout
            : std::clamp(deadline - absl::Now(), absl::ZeroDuration(),
                         kDeadLetterFlushTimeout);
  if (absl::Status s = dead_letters_.Flush(flush_timeout); !s.ok()) {
    metrics_.dead_letter_failures().Increment();
    Log(LogLevel::kError, "not committing: dead letters not delivered",
        {{"error", s.ToString()}});
    return s;
  }
  absl::Status s = async ? consumer_->CommitAsync(offsets)
                         : consumer_->CommitSync(offsets, deadline);
  if (!s.ok()) {
    metrics_.commit_failures().Increment();
    Log(LogLevel::kWarning, "commit failed", {{"error", s.ToString()}});
    return s;
  }
  if (!async) pipeline_.MarkCommitted(offsets);
  return absl::OkStatus();
}

void ConsumerLoop::TakeCommitResults() {
  for (EventConsumer::CommitResult& r : consumer_->TakeCommitResults()) {
    if (!r.status.ok()) {
      metrics_.commit_failures().Increment();
      Log(LogLevel::kWarning, "commit failed",
          {{"error", r.status.ToString()}});
      continue;
    }
    pipeline_.MarkCommitted(r.offsets);
  }
}

bool ConsumerLoop::UpdatePartition(const PartitionProgress& p) {
  Reported& r = reported_[p.id];
  int64_t low = -1, high = -1;
  if (consumer_->Watermarks(p.id, &low, &high)) {
    const int64_t next = std::max(p.position, low);
    const int64_t lag = std::max<int64_t>(0, high - next);
    metrics_.lag(p.id).Set(static_cast<double>(lag));
    if (p.rebuilt && lag == 0) r.caught_up = true;
  }
  // A truncated log with nothing read yet: no history can be vouched for.
  const DayNumber history_from = p.history_known ? p.history_from : INT32_MAX;
  metrics_.history_complete(p.id).Set(history_from == kHistoryComplete);
  if (!r.sent || r.history_from != history_from ||
      r.sent_caught_up != r.caught_up) {
    pipeline_.SetPartitionStatus(p.id, r.caught_up, history_from);
    r.sent = true;
    r.sent_caught_up = r.caught_up;
    r.history_from = history_from;
  }
  return r.caught_up;
}

void ConsumerLoop::UpdateLagAndReadiness() {
  const std::vector<PartitionProgress> progress = pipeline_.Progress();
  bool all_caught_up = joined_;
  for (const PartitionProgress& p : progress) {
    if (!UpdatePartition(p)) all_caught_up = false;
  }
  if (all_caught_up && !caught_up_) {
    caught_up_ = true;
    Log(LogLevel::kInfo, "caught up: state rebuilt");
    on_caught_up_();
  }
  judgeable_.store(caught_up_);
  if (checkpoints_ != nullptr) checkpoints_->Write(pipeline_, /*force=*/false);
  // Readiness also needs the brokers: ask one for a partition's offsets.
  reachable_ = consumer_->Reachable();
  const bool current = caught_up_ && figures_current_();
  const bool ready = current && reachable_;
  if (ready && metrics_.ready().Value() != 1) {
    Log(LogLevel::kInfo, "caught up: ready");
  }
  metrics_.ready().Set(ready ? 1 : 0);
  SetNotReadyReason(ready         ? ""
                    : !joined_    ? "waiting for partition assignment"
                    : !caught_up_ ? "rebuilding partition state"
                    : !current    ? "computing figures"
                                  : "kafka brokers unreachable");
}

void ConsumerLoop::SetNotReadyReason(std::string reason) {
  absl::MutexLock lock(&reason_mu_);
  not_ready_reason_ = std::move(reason);
}

std::string ConsumerLoop::NotReadyReason() const {
  absl::MutexLock lock(&reason_mu_);
  return not_ready_reason_;
}

}  // namespace outcomes
