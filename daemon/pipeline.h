// The ingest pipeline for one consumer: decode -> validate -> dedupe ->
// apply to partition state, with every outcome counted (DESIGN.md §3).
//
// Thread safety: not thread-safe; driven by the consumer thread only.
// Ownership: borrows everything passed to the constructor; all must outlive
// the pipeline.
#ifndef OUTCOMESD_DAEMON_PIPELINE_H_
#define OUTCOMESD_DAEMON_PIPELINE_H_

#include <array>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "daemon/clock.h"
#include "daemon/dedupe.h"
#include "daemon/event_decoder.h"
#include "daemon/ingest_metrics.h"
#include "daemon/kafka/kafka_boundary.h"

namespace outcomes {

// Receives accepted events, grouped by owning partition. Implemented by the
// state store; a fake in tests.
class AcceptedEventSink {
 public:
  virtual ~AcceptedEventSink() = default;
  virtual void AssignPartition(const PartitionId& id) = 0;
  virtual void RevokePartition(const PartitionId& id) = 0;
  // REQUIRES: `id` is assigned; `event` is validated and not a duplicate.
  virtual void Apply(const PartitionId& id, const v1::ServiceEvent& event,
                     DayNumber day) = 0;
};

class IngestPipeline {
 public:
  IngestPipeline(const ValidationSettings& settings, const Clock& clock,
                 IngestMetrics& metrics, AcceptedEventSink& sink,
                 DeadLetterSink& dead_letters);

  void Assign(const PartitionOffset& start);
  void Revoke(const PartitionId& id);

  // Processes one message of an assigned partition. Never fails: a bad
  // message is counted and sent to the dead-letter sink. A message below the
  // partition's start offset (a replay, see PartitionOffset::replay_from) only
  // rebuilds state: it was counted by the partition's earlier owner.
  void Process(const KafkaMessage& message);

  // Call once per consumed batch: refreshes "now" and evicts dedupe entries
  // past the horizon when the day changed.
  void BeginBatch();
  // Adds the counts of the messages processed since the last call to the
  // Prometheus counters (per batch, not per event: cheaper).
  void FlushMetrics();

  // Next offsets of the partitions that processed messages since their
  // last MarkCommitted.
  std::vector<PartitionOffset> Uncommitted() const;
  void MarkCommitted(const std::vector<PartitionOffset>& offsets);
  // Next offset to process for every assigned partition.
  std::vector<PartitionOffset> Positions() const;
  // Next offset to process of one partition, or -1 when not assigned.
  int64_t Position(const PartitionId& id) const;

 private:
  struct PartitionIngest {
    PartitionId id;
    DedupeIndex dedupe;
    int64_t next_offset = -1;
    int64_t committed_offset = -1;
    int64_t replay_until = -1;  // offsets below this are replays
  };
  PartitionIngest* Find(std::string_view topic, int32_t partition);
  void Replay(PartitionIngest& p, const KafkaMessage& message);

  const ValidationSettings settings_;
  const Clock& clock_;
  IngestMetrics& metrics_;
  AcceptedEventSink& sink_;
  DeadLetterSink& dead_letters_;
  EventDecoder decoder_;
  struct PendingCounts {
    std::array<int64_t, 6> accepted{};  // by EventType
    std::array<int64_t, kRejectReasonCount> rejected{};
    int64_t duplicates = 0;
    int64_t replayed = 0;
  };
  PendingCounts pending_;
  absl::Time now_;
  DayNumber today_ = 0;
  std::vector<PartitionIngest> partitions_;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_PIPELINE_H_
