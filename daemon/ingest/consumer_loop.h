// The consumer thread: polls batches, runs them through the pipeline,
// commits what was fully processed, and keeps lag and readiness current.
//
// Offsets are committed only after the dead-letter sink confirmed delivery of
// every reject up to that point, so a crash never loses a rejected message
// nor skips an accepted one (at-least-once; duplicates are deduped). The same
// holds for a stop whose final commit does not get through (no broker
// answers): what was processed but not committed is read again by the next
// owner of the partition.
//
// Thread safety: Run() on one thread; RequestStop() from any thread.
#ifndef OUTCOMESD_DAEMON_INGEST_CONSUMER_LOOP_H_
#define OUTCOMESD_DAEMON_INGEST_CONSUMER_LOOP_H_

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "daemon/ingest/ingest_metrics.h"
#include "daemon/ingest/pipeline.h"
#include "daemon/kafka/kafka_boundary.h"

namespace outcomes {

// What a checkpoint restored for one partition (see PartitionCheckpoints).
struct RestoredPartition {
  DedupeIndex dedupe;
  std::optional<DayNumber> history_from;
};

// Per-partition checkpoints (daemon/checkpointer.h). Called on the
// consumer thread only.
class PartitionCheckpoints {
 public:
  virtual ~PartitionCheckpoints() = default;
  // Before `start.id` is given to the pipeline: restores the partition's
  // state from its checkpoint when one is usable, and then raises
  // start.replay_from to the checkpoint's offset (or sets it to -1 when the
  // checkpoint covers everything up to start.next_offset). nullopt when no
  // checkpoint was restored (state starts empty; start unchanged).
  virtual std::optional<RestoredPartition> Restore(PartitionOffset& start) = 0;
  // After a commit: writes the checkpoints that are due (all that changed
  // when `force`) of partitions that are rebuilt and fully committed.
  virtual void Write(const IngestPipeline& pipeline, bool force) = 0;
  virtual void Forget(const PartitionId& id) = 0;  // revoked
};

class ConsumerLoop : public RebalanceListener {
 public:
  // Borrows all arguments; they must outlive the loop. SetConsumer must be
  // called before Run (the consumer needs this object as its listener).
  // `checkpoints` may be null (no --state.dir).
  ConsumerLoop(IngestPipeline& pipeline, DeadLetterSink& dead_letters,
               IngestMetrics& metrics, absl::Duration commit_interval,
               PartitionCheckpoints* checkpoints = nullptr);

  void SetConsumer(EventConsumer* consumer) { consumer_ = consumer; }

  // Ready means right (docs/design.md, "State through restarts, rebalances and
  // faults"): outcomes_ready is 1 only once `figures_current()` says the
  // figures served were computed after every partition was caught up;
  // `on_caught_up` is called when they all are (to compute them at once). Both
  // run on the consumer thread. REQUIRES: before Run; both callable.
  void SetFiguresHooks(std::function<void()> on_caught_up,
                       std::function<bool()> figures_current) {
    on_caught_up_ = std::move(on_caught_up);
    figures_current_ = std::move(figures_current);
  }

  // True when the group join completed and every assigned partition's state
  // is rebuilt and was caught up once since (latched until the next
  // rebalance): goals may be judged. Unlike outcomes_ready, it stays true
  // while the brokers are unreachable. Thread-safe.
  bool judgeable() const { return judgeable_.load(); }
  // Why the daemon is not ready ("" when it is), for /readyz. Thread-safe.
  std::string NotReadyReason() const;

  // Consumes until RequestStop(); then, by the stop's deadline, commits what
  // was processed, writes the checkpoints and leaves the group
  // (docs/design.md, "Shutdown"), and returns.
  void Run();
  // Makes Run stop consuming and return by `deadline` (no limit by default:
  // then the final commit waits up to 10 s and leaving the group as long as
  // librdkafka does). Thread-safe.
  void RequestStop(absl::Time deadline = absl::InfiniteFuture());

  // RebalanceListener:
  void OnAssigned(std::vector<PartitionOffset>& assigned) override;
  void OnRevoked(const std::vector<PartitionId>& revoked) override;

 private:
  // After the last poll: the final commit (in at most half the time left),
  // checkpoints, then leaving the group, all by `deadline`.
  void Stop(absl::Time deadline);
  // Flushes dead letters, then commits processed offsets (of `only` when not
  // empty). Failures are logged and counted; the commit is retried later.
  // Asynchronous commits are marked committed when their result arrives
  // (TakeCommitResults); synchronous ones wait until SyncCommitDeadline().
  // Skipped (Unavailable) while no broker answers the probe.
  absl::Status CommitProcessed(const std::vector<PartitionId>& only,
                               bool async);
  absl::Time SyncCommitDeadline() const;
  void TakeCommitResults();
  void UpdateLagAndReadiness();
  // Lag and readiness of one partition; false when not caught up.
  bool UpdatePartition(const PartitionProgress& p);
  void SetNotReadyReason(std::string reason);

  // Per assigned partition, what was last reported.
  struct Reported {
    bool caught_up = false;  // latched until revocation
    bool sent = false;       // status given to the sink at least once
    bool sent_caught_up = false;
    DayNumber history_from = kHistoryComplete;
  };

  IngestPipeline& pipeline_;
  DeadLetterSink& dead_letters_;
  IngestMetrics& metrics_;
  const absl::Duration commit_interval_;
  PartitionCheckpoints* const checkpoints_;
  std::function<void()> on_caught_up_ = [] {};
  std::function<bool()> figures_current_ = [] { return true; };
  EventConsumer* consumer_ = nullptr;
  std::atomic<bool> stop_{false};
  absl::Mutex stop_mu_;
  absl::Time stop_deadline_ ABSL_GUARDED_BY(stop_mu_) = absl::InfiniteFuture();
  // While stopping (consumer thread): how long synchronous commits may wait.
  std::optional<absl::Time> stopping_commit_deadline_;
  std::atomic<bool> judgeable_{false};
  bool joined_ = false;     // a rebalance has happened
  bool caught_up_ = false;  // all partitions caught up; until a rebalance
  absl::flat_hash_map<PartitionId, Reported> reported_;
  // Revoked partitions' processed offsets (see OnAssigned).
  absl::flat_hash_map<PartitionId, int64_t> counted_until_;
  bool reachable_ = true;  // the last probe's answer
  mutable absl::Mutex reason_mu_;
  std::string not_ready_reason_ ABSL_GUARDED_BY(reason_mu_) =
      "waiting for partition assignment";
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_INGEST_CONSUMER_LOOP_H_
