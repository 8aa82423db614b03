// The consumer thread: polls batches, runs them through the pipeline,
// commits what was fully processed, and keeps lag and readiness current.
//
// Offsets are committed only after the dead-letter sink confirmed delivery of
// every reject up to that point, so a crash never loses a rejected message
// nor skips an accepted one (at-least-once; duplicates are deduped).
//
// Thread safety: Run() on one thread; RequestStop() from any thread.
#ifndef OUTCOMESD_DAEMON_CONSUMER_LOOP_H_
#define OUTCOMESD_DAEMON_CONSUMER_LOOP_H_

#include <atomic>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "daemon/ingest_metrics.h"
#include "daemon/kafka/kafka_boundary.h"
#include "daemon/pipeline.h"

namespace outcomes {

class ConsumerLoop : public RebalanceListener {
 public:
  // Borrows all arguments; they must outlive the loop. SetConsumer must be
  // called before Run (the consumer needs this object as its listener).
  ConsumerLoop(IngestPipeline& pipeline, DeadLetterSink& dead_letters,
               IngestMetrics& metrics, absl::Duration commit_interval);

  void SetConsumer(EventConsumer* consumer) { consumer_ = consumer; }

  // Consumes until RequestStop(); then commits and leaves the group.
  void Run();
  void RequestStop() { stop_.store(true); }

  // RebalanceListener:
  void OnAssigned(const std::vector<PartitionOffset>& assigned) override;
  void OnRevoked(const std::vector<PartitionId>& revoked) override;

 private:
  // Flushes dead letters, then commits processed offsets (of `only` when not
  // empty). Failures are logged and counted; the commit is retried later.
  void CommitProcessed(const std::vector<PartitionId>& only = {});
  void UpdateLagAndReadiness();

  IngestPipeline& pipeline_;
  DeadLetterSink& dead_letters_;
  IngestMetrics& metrics_;
  const absl::Duration commit_interval_;
  EventConsumer* consumer_ = nullptr;
  std::atomic<bool> stop_{false};
  bool joined_ = false;      // a rebalance has happened
  bool caught_up_ = false;   // latched until the next rebalance
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_CONSUMER_LOOP_H_
