// The ingest pipeline for one consumer: decode -> validate -> dedupe ->
// apply to partition state, with every outcome counted (docs/design.md, "From
// event to figure").
//
// Thread safety: not thread-safe; driven by the consumer thread only.
// Ownership: borrows everything passed to the constructor; all must outlive
// the pipeline.
#ifndef OUTCOMESD_DAEMON_INGEST_PIPELINE_H_
#define OUTCOMESD_DAEMON_INGEST_PIPELINE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "daemon/base/clock.h"
#include "daemon/ingest/dedupe.h"
#include "daemon/ingest/event_decoder.h"
#include "daemon/ingest/ingest_metrics.h"
#include "daemon/ingest/partition_providers.h"
#include "daemon/ingest/provider_gate.h"
#include "daemon/kafka/kafka_boundary.h"

namespace outcomes {

// Receives accepted events, grouped by owning partition. Implemented by the
// state store; a fake in tests.
class AcceptedEventSink {
 public:
  virtual ~AcceptedEventSink() = default;
  virtual void AssignPartition(const PartitionId& id) = 0;
  virtual void RevokePartition(const PartitionId& id) = 0;
  // Tells whether the partition's state is fully rebuilt and caught up
  // (`ready`), and from which day on its Kafka history is complete
  // (kHistoryComplete: all of the horizon). Called by the consumer loop
  // whenever either changes. REQUIRES: `id` is assigned.
  virtual void SetPartitionStatus(const PartitionId& id, bool ready,
                                  DayNumber history_from) {}
  // REQUIRES: `id` is assigned; `event` is validated and not a duplicate.
  virtual void Apply(const PartitionId& id, const EventView& event,
                     DayNumber day) = 0;

  // Applies the accepted events of one assigned partition, without looking
  // the partition up per event. Apply may take a lock and keep it for the
  // following calls; Release() gives it back. The pipeline calls Release()
  // at the end of every consumed batch and before any other call on the
  // sink, so a lock is held for one batch at most and never across a
  // rebalance. Used by the consumer thread only.
  class PartitionApplier {
   public:
    virtual ~PartitionApplier() = default;
    // Same REQUIRES as AcceptedEventSink::Apply.
    virtual void Apply(const EventView& event, DayNumber day) = 0;
    virtual void Release() {}
  };
  // The applier of partition `id`, obtained after AssignPartition(id) and
  // dropped before RevokePartition(id). Default: one that calls
  // Apply(id, ...) per event.
  virtual std::unique_ptr<PartitionApplier> Applier(const PartitionId& id);
  // The providers with state in partition `id`: a restored checkpoint's,
  // those of the events applied since, minus those evicted. For the
  // provider slots (daemon/ingest/provider_gate.h). Default: none.
  virtual std::vector<std::string> Providers(const PartitionId& id) const {
    return {};
  }
  // Changes whenever state was evicted from some partition (Providers()
  // may have shrunk since). Thread-safe: evictions run on another thread.
  virtual uint64_t EvictionGeneration() const { return 0; }
};

// history_from value of a partition whose retained log covers the horizon.
inline constexpr DayNumber kHistoryComplete = INT32_MIN;

// Where one assigned partition stands (see IngestPipeline::Status).
struct PartitionProgress {
  PartitionId id;
  // Next offset expected from Kafka, replayed messages included (-1: none
  // read yet, reading starts at the log start).
  int64_t position = -1;
  // The committed offset on assignment: the replay is finished (state
  // rebuilt) once position reaches it.
  int64_t replay_until = -1;
  int64_t low_watermark = -1;  // on assignment
  bool rebuilt = false;
  // kHistoryComplete, or the day of the first event of a log whose start
  // was removed (retention), read from its first retained offset.
  DayNumber history_from = kHistoryComplete;
  // False until the pipeline could tell (the first message of a truncated
  // log not read yet).
  bool history_known = true;
  int64_t next_offset = -1;       // as in Positions()
  int64_t committed_offset = -1;  // last MarkCommitted (or the start)
};

class IngestPipeline {
 public:
  // `providers` (may be null: no provider limits) judges every valid event
  // by its provider (reasons unknown_provider, provider_limit) after the
  // key check and before dedupe; the pipeline keeps its slots in step with
  // the sink's state (Assign, Revoke, evictions seen by BeginBatch).
  IngestPipeline(const ValidationSettings& settings, const Clock& clock,
                 IngestMetrics& metrics, AcceptedEventSink& sink,
                 DeadLetterSink& dead_letters,
                 ProviderGate* providers = nullptr);

  // Starts ingesting partition `start.id` (replacing any earlier state of
  // it) with `dedupe` (restored from a checkpoint, or empty).
  // `history_from`, when given (a checkpoint's), says how complete the
  // partition's history is; otherwise the first message read tells.
  void Assign(const PartitionOffset& start, DedupeIndex dedupe = {},
              std::optional<DayNumber> history_from = std::nullopt);
  void Revoke(const PartitionId& id);

  // Processes one message of an assigned partition. Never fails: a bad
  // message is counted and sent to the dead-letter sink. A message below the
  // partition's start offset (a replay, see PartitionOffset::replay_from) only
  // rebuilds state: it was counted by the partition's earlier owner.
  void Process(const KafkaMessage& message);
  // Process() of each message in turn, with the next one's dedupe slot
  // fetched into the cache meanwhile (see PeekEventId).
  void ProcessBatch(absl::Span<const KafkaMessage> messages);

  // Call once per consumed batch: refreshes "now", evicts dedupe entries
  // past the horizon when the day changed, and frees the provider slots of
  // state the sink evicted since the last batch.
  void BeginBatch();
  // Call once a consumed batch is processed: releases the partition locks
  // the sink's appliers took for it (see PartitionApplier).
  void EndBatch();
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
  // Progress of every assigned partition (rebuild, history).
  std::vector<PartitionProgress> Progress() const;
  // AcceptedEventSink::SetPartitionStatus of the sink.
  void SetPartitionStatus(const PartitionId& id, bool ready,
                          DayNumber history_from) {
    EndBatch();
    sink_.SetPartitionStatus(id, ready, history_from);
  }
  // The partition's dedupe index, for checkpoints; null when not assigned.
  const DedupeIndex* Dedupe(const PartitionId& id) const;

 private:
  struct PartitionIngest {
    DedupeIndex dedupe;
    int64_t next_offset = -1;
    int64_t committed_offset = -1;
    PartitionProgress progress;  // replay_until: offsets below are replays
    PartitionProviders providers;
    std::unique_ptr<AcceptedEventSink::PartitionApplier> applier;
  };
  PartitionIngest* Find(std::string_view topic, int32_t partition);
  const PartitionIngest* Find(const PartitionId& id) const;
  void Replay(PartitionIngest& p, const KafkaMessage& message);
  struct Peeked {
    std::string_view id;  // into the message
    uint64_t hash = 0;    // DedupeIndex::Hash(id)
  };
  // Asks the CPU to load the dedupe slot of `message`'s event id (read
  // from the raw value without decoding), so that its Process finds it in
  // the cache; returns the id and its hash (empty when not peekable).
  Peeked Prefetch(const KafkaMessage& message);
  // dedupe.Insert(event_id, day), with the hash Prefetch computed when
  // event_id is the id it peeked in the message being processed.
  bool Insert(DedupeIndex& dedupe, std::string_view event_id, DayNumber day);
  // Counts and dead-letters a rejected live message.
  void Reject(const KafkaMessage& message, RejectReason reason,
              std::string_view detail);
  // Re-reads the providers of every partition when the sink evicted state.
  void SyncProviders();
  // Moves p's position past `message`; on a truncated log's first message,
  // records the history start from `result`.
  void Advance(PartitionIngest& p, const KafkaMessage& message,
               const DecodeResult& result);

  const ValidationSettings settings_;
  const Clock& clock_;
  IngestMetrics& metrics_;
  AcceptedEventSink& sink_;
  DeadLetterSink& dead_letters_;
  ProviderGate* const gate_;
  uint64_t eviction_generation_ = 0;  // the sink's, as last synced
  EventDecoder decoder_;
  struct PendingCounts {
    std::array<int64_t, kEventTypeCount> accepted{};  // by EventType
    std::array<int64_t, kRejectReasonCount> rejected{};
    int64_t duplicates = 0;
    int64_t replayed = 0;
  };
  PendingCounts pending_;
  Peeked current_;  // the message ProcessBatch is processing, if peeked
  absl::Time now_;
  DayNumber today_ = 0;
  std::vector<PartitionIngest> partitions_;
  size_t last_found_ = 0;  // index in partitions_ of the last Find's hit
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_INGEST_PIPELINE_H_
