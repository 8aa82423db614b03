// The Kafka boundary: the only interfaces the rest of outcomesd uses to talk
// to Kafka. The librdkafka implementations live in kafka/rdkafka_*.cc; unit
// tests use fakes.
#ifndef OUTCOMESD_DAEMON_KAFKA_KAFKA_BOUNDARY_H_
#define OUTCOMESD_DAEMON_KAFKA_KAFKA_BOUNDARY_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "daemon/base/partition_id.h"

namespace outcomes {

// One consumed message. Views are valid only during the handler call.
struct KafkaMessage {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string_view key;
  std::string_view value;
};

struct PartitionOffset {
  PartitionId id;
  int64_t next_offset = 0;  // the offset of the next message to process
  // On assignment: the first offset to re-read to rebuild this partition's
  // state (messages in [replay_from, next_offset) were already counted by
  // an earlier owner). Equal to next_offset, or -1, when there is nothing to
  // replay.
  int64_t replay_from = -1;
  // The partition's low watermark (first retained offset) when it was
  // assigned, or -1 when unknown. Greater than 0 means retention or a
  // deletion removed the start of the log (docs/design.md, "State through
  // restarts, rebalances and faults", history).
  int64_t low_watermark = -1;
};

// Told about rebalances. Called on the polling thread, inside PollBatch.
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  // The listener may raise each replay_from (up to next_offset) when it
  // restored state covering the messages below (a checkpoint); the consumer
  // then starts reading each partition at replay_from, or at next_offset
  // when replay_from is -1 (at the log start when both are -1).
  virtual void OnAssigned(std::vector<PartitionOffset>& assigned) = 0;
  // Called before the partitions are given up: the listener should commit
  // what it has processed for them and drop their state.
  virtual void OnRevoked(const std::vector<PartitionId>& revoked) = 0;
};

// A consumer-group member. Thread safety: PollBatch, Commit and Close must be
// called from one thread; Watermarks may be called from any thread.
class EventConsumer {
 public:
  virtual ~EventConsumer() = default;

  // Takes the messages that are queued, waiting up to `timeout` only when
  // none are, and calls `handle` once with them (in partition order; not
  // called when there are none). Rebalance callbacks run inside this call,
  // before `handle`.
  virtual absl::Status PollBatch(
      absl::Duration timeout,
      const std::function<void(absl::Span<const KafkaMessage>)>& handle) = 0;

  // Commits the given next-offsets and returns at once; the result is in a
  // later TakeCommitResults.
  virtual absl::Status CommitAsync(
      const std::vector<PartitionOffset>& offsets) = 0;
  // Commits the given next-offsets and waits for the result, but not past
  // `deadline` (DeadlineExceeded then). An error means: take the offsets as
  // not committed. A commit given up on may still land later; either way
  // its messages are at worst read again (at-least-once).
  virtual absl::Status CommitSync(const std::vector<PartitionOffset>& offsets,
                                  absl::Time deadline) = 0;

  // One finished asynchronous commit.
  struct CommitResult {
    std::vector<PartitionOffset> offsets;
    absl::Status status;
  };
  // Results of asynchronous commits finished since the last call (they are
  // delivered during PollBatch).
  virtual std::vector<CommitResult> TakeCommitResults() = 0;

  // True inside OnRevoked when the partitions were lost (session timed out,
  // e.g. the brokers are unreachable) rather than handed over: committing
  // them is pointless and would block.
  virtual bool AssignmentLost() = 0;

  // Last known low/high watermarks of a partition (from fetch responses; no
  // network call). False when not known yet.
  virtual bool Watermarks(const PartitionId& id, int64_t* low,
                          int64_t* high) = 0;

  // False when no broker has answered a liveness probe lately (the cluster
  // is unreachable). Never blocks: probes run on a thread of their own.
  virtual bool Reachable() = 0;

  // Leaves the group and releases the client, by `deadline`. With
  // `leave_group`, the consumer tells the coordinator it leaves (its
  // partitions' OnRevoked runs inside this call) until `deadline`; without
  // it (no broker answers), or when the deadline passes first, it goes
  // without a word and the coordinator hands its partitions on after the
  // session timeout. REQUIRES: called once, after the last PollBatch.
  virtual void Close(absl::Time deadline, bool leave_group) = 0;
};

// Where rejected messages go (the dead-letter topic).
// Thread safety: Send and Flush from the polling thread only.
class DeadLetterSink {
 public:
  virtual ~DeadLetterSink() = default;
  // Queues a copy of `original` with headers naming `reason` and its source.
  virtual void Send(const KafkaMessage& original, std::string_view reason,
                    std::string_view detail) = 0;
  // Waits until everything sent so far is delivered. Error when some message
  // could not be delivered or the timeout passed.
  virtual absl::Status Flush(absl::Duration timeout) = 0;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_KAFKA_KAFKA_BOUNDARY_H_
