// Every Prometheus metric of the ingest path, declared in one place
// (docs/metrics.md self-metrics). Names marked (contract) must not change.
//
// Thread safety: prometheus-cpp metrics are safe to update from any thread.
// Ownership: the families live in the Registry passed to the constructor,
// which must outlive this object.
#ifndef OUTCOMESD_DAEMON_INGEST_INGEST_METRICS_H_
#define OUTCOMESD_DAEMON_INGEST_INGEST_METRICS_H_

#include <array>

#include "daemon/base/partition_id.h"
#include "daemon/ingest/event_decoder.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace outcomes {

class IngestMetrics {
 public:
  explicit IngestMetrics(prometheus::Registry& registry);

  // outcomes_events_total{type} (contract). REQUIRES: valid, non-zero type.
  prometheus::Counter& accepted(v1::EventType type) {
    return *accepted_[static_cast<int>(type)];
  }
  // outcomes_events_rejected_total{reason} (contract).
  prometheus::Counter& rejected(RejectReason reason) {
    return *rejected_[static_cast<int>(reason)];
  }
  // outcomes_events_duplicate_total (contract).
  prometheus::Counter& duplicates() { return duplicates_; }
  // outcomes_ready (contract): 1 when caught up and serving.
  prometheus::Gauge& ready() { return ready_; }

  // Messages re-read on assignment to rebuild state (not counted above).
  prometheus::Counter& replayed() { return replayed_; }
  prometheus::Counter& dead_letter_failures() { return dead_letter_failures_; }
  prometheus::Counter& commit_failures() { return commit_failures_; }
  prometheus::Histogram& batch_seconds() { return batch_seconds_; }
  prometheus::Gauge& assigned_partitions() { return assigned_partitions_; }

  // Sums over labels, for the shutdown log line.
  double TotalAccepted() const;
  double TotalRejected() const;

  // outcomes_kafka_consumer_lag{topic,partition}; created on first use.
  prometheus::Gauge& lag(const PartitionId& id);
  // outcomes_history_complete{topic,partition} (contract, docs/design.md,
  // "State through restarts, rebalances and faults"): 1 when the partition's
  // retained log covers the horizon.
  prometheus::Gauge& history_complete(const PartitionId& id);
  // Removes the partition's series (revoked).
  void RemovePartition(const PartitionId& id);

 private:
  std::array<prometheus::Counter*, kEventTypeCount> accepted_{};
  std::array<prometheus::Counter*, kRejectReasonCount> rejected_{};
  prometheus::Counter& duplicates_;
  prometheus::Gauge& ready_;
  prometheus::Counter& replayed_;
  prometheus::Counter& dead_letter_failures_;
  prometheus::Counter& commit_failures_;
  prometheus::Histogram& batch_seconds_;
  prometheus::Gauge& assigned_partitions_;
  prometheus::Family<prometheus::Gauge>& lag_family_;
  prometheus::Family<prometheus::Gauge>& history_family_;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_INGEST_INGEST_METRICS_H_
