#include "daemon/consumer_loop.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "daemon/json_log.h"

namespace outcomes {
namespace {

constexpr absl::Duration kPollTimeout = absl::Milliseconds(100);
constexpr absl::Duration kDeadLetterFlushTimeout = absl::Seconds(2);
constexpr absl::Duration kLagInterval = absl::Seconds(1);
constexpr absl::Duration kProbeTimeout = absl::Milliseconds(500);

}  // namespace

ConsumerLoop::ConsumerLoop(IngestPipeline& pipeline,
                           DeadLetterSink& dead_letters,
                           IngestMetrics& metrics,
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
  judgeable_.store(false);
  SetNotReadyReason("stopping");
  CommitProcessed();
  if (checkpoints_ != nullptr) checkpoints_->Write(pipeline_, /*force=*/true);
  consumer_->Close();
  Log(LogLevel::kInfo, "stopped",
      {{"accepted", static_cast<long long>(metrics_.TotalAccepted())},
       {"rejected", static_cast<long long>(metrics_.TotalRejected())},
       {"duplicates", static_cast<long long>(metrics_.duplicates().Value())}});
}

void ConsumerLoop::OnAssigned(std::vector<PartitionOffset>& assigned) {
  for (PartitionOffset& start : assigned) {
    pipeline_.Revoke(start.id);
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
  CommitProcessed(revoked);
  if (checkpoints_ != nullptr) checkpoints_->Write(pipeline_, /*force=*/true);
  for (const PartitionId& id : revoked) {
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
  const bool reachable =
      progress.empty() || consumer_->Probe(progress.front().id, kProbeTimeout);
  const bool current = caught_up_ && figures_current_();
  const bool ready = current && reachable;
  if (ready && metrics_.ready().Value() != 1) {
    Log(LogLevel::kInfo, "caught up: ready");
  }
  metrics_.ready().Set(ready ? 1 : 0);
  SetNotReadyReason(ready ? ""
                    : !joined_ ? "waiting for partition assignment"
                    : !caught_up_ ? "rebuilding partition state"
                    : !current ? "computing figures"
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
