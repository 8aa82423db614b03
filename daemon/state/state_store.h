// All partitions' state of this process (DESIGN.md §2: state is owned by
// Kafka partition). The consumer calls Assign/Revoke from its rebalance
// callback and Apply per accepted event; the evaluator calls Snapshot.
//
// Thread safety: all methods are thread-safe. Apply calls for different
// partitions run in parallel; Snapshot locks one partition at a time, so
// it delays Apply on that partition only while its figures are computed.
#ifndef OUTCOMESD_DAEMON_STATE_STATE_STORE_H_
#define OUTCOMESD_DAEMON_STATE_STATE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "daemon/day.h"
#include "daemon/partition_id.h"
#include "daemon/state/figures.h"
#include "daemon/state/partition_state.h"
#include "daemon/state/state_settings.h"
#include "outcomes/v1/event.pb.h"

namespace outcomes {

// An event with its day, for ApplyBatch. Does not own the event.
struct DatedEvent {
  const v1::ServiceEvent* event;
  DayNumber day;
};

// The figures of one partition, and the partition that owns them.
struct PartitionFigures {
  PartitionId id;
  std::vector<ProgramFigures> programs;  // sorted by (provider, program)
  size_t live_funnels = 0;
  uint64_t dropped_events = 0;
  bool operator==(const PartitionFigures&) const = default;
};

// Events whose value of a dimension was folded into "no group", counted
// since process start over all partitions, revoked ones included.
struct GroupOverflow {
  std::string dimension;
  uint64_t events = 0;
};

struct StoreSnapshot {
  DayNumber today = 0;
  std::vector<PartitionFigures> partitions;   // sorted by PartitionId
  std::vector<GroupOverflow> group_overflow;  // in settings dimension order
};

class StateStore {
 public:
  // REQUIRES: ValidateStateSettings(settings).ok().
  explicit StateStore(const StateSettings& settings);

  const StateSettings& settings() const { return settings_; }

  // Creates empty state for `id`; no-op when already assigned.
  void Assign(const PartitionId& id) ABSL_LOCKS_EXCLUDED(mu_);
  // Assigns `id` with state restored from a PartitionState::Serialize()
  // checkpoint, replacing any state it had. On error nothing changes.
  absl::Status Restore(const PartitionId& id, std::string_view checkpoint)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Drops the partition's state; no-op when not assigned.
  void Revoke(const PartitionId& id) ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<PartitionId> Partitions() const ABSL_LOCKS_EXCLUDED(mu_);

  // PartitionState::Apply on partition `id`. Same REQUIRES. Returns false
  // (event ignored) when `id` is not assigned.
  bool Apply(const PartitionId& id, const v1::ServiceEvent& event,
             DayNumber day) ABSL_LOCKS_EXCLUDED(mu_);
  // Applies events in order under one lock. Returns false when `id` is not
  // assigned (nothing applied).
  bool ApplyBatch(const PartitionId& id, absl::Span<const DatedEvent> events)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Serialize() of one partition; NotFound when not assigned.
  absl::StatusOr<std::string> Checkpoint(const PartitionId& id) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Figures of every assigned partition as of `today`. Also evicts data
  // past the horizon from partitions not yet evicted for `today`.
  StoreSnapshot Snapshot(DayNumber today) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Slot {
    explicit Slot(PartitionState s) : state(std::move(s)) {}
    absl::Mutex mu;
    PartitionState state ABSL_GUARDED_BY(mu);
    DayNumber evicted_for ABSL_GUARDED_BY(mu) = INT32_MIN;
  };
  std::shared_ptr<Slot> Find(const PartitionId& id) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void RetireOverflow(Slot& slot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<GroupOverflow> Overflow() const ABSL_LOCKS_EXCLUDED(mu_);

  const StateSettings settings_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<PartitionId, std::shared_ptr<Slot>> partitions_
      ABSL_GUARDED_BY(mu_);
  // Overflow counts of partitions already revoked or replaced.
  std::vector<uint64_t> retired_overflow_ ABSL_GUARDED_BY(mu_);
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_STATE_STORE_H_
