// All partitions' state of this process (docs/design.md, "Parts and layers":
// state is owned by Kafka partition). The consumer calls Assign/Revoke from its
// rebalance callback and applies accepted events; the evaluator calls Snapshot.
//
// Applying events: Apply(id, event, day) looks the partition up on every
// call (a store-wide reader lock, a PartitionId hash, the partition's
// lock). The consumer takes the cheaper path (daemon/ingest/state_sink.h):
// a PartitionWriter, obtained once per assignment with Writer(id), whose
// Lock() takes the partition's own lock once for the events of one
// consumed batch (PartitionWriter::Apply takes it per event).
//
// Thread safety: all methods are thread-safe, PartitionWriter included
// (one writer may be used from any thread; writers of one partition
// serialize on its lock). Apply calls for different partitions run in
// parallel; Snapshot locks one partition at a time, so it delays Apply on
// that partition only while its figures are computed.
#ifndef OUTCOMESD_DAEMON_STATE_STATE_STORE_H_
#define OUTCOMESD_DAEMON_STATE_STATE_STORE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "daemon/base/day.h"
#include "daemon/base/event_view.h"
#include "daemon/base/partition_id.h"
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
  // False while the partition's state is being rebuilt (checkpoint restore
  // or replay not finished) or it has not been caught up once since it was
  // assigned (docs/design.md, "State through restarts, rebalances and faults",
  // "ready means right"). The goals of its providers are then neither judged
  // nor resolved and nothing about them is notified: their alerts are parked.
  bool ready = true;
  bool operator==(const PartitionFigures&) const = default;
};

// Events whose value of a dimension was folded into "no group", counted
// since process start over all partitions, revoked ones included.
struct GroupOverflow {
  std::string dimension;
  uint64_t events = 0;
};

// Outcome payment units of one partition (PartitionState::CountUnits).
struct PartitionUnits {
  PartitionId id;
  bool ready = true;                   // as PartitionFigures::ready
  DayNumber history_from = INT32_MIN;  // as SetStatus
  std::vector<ProviderUnits> providers;
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
  void Assign(const PartitionId& id);
  // Assigns `id` with state restored from a PartitionState::Serialize()
  // checkpoint, replacing any state it had. On error nothing changes.
  absl::Status Restore(const PartitionId& id, std::string_view checkpoint);
  // Drops the partition's state; no-op when not assigned.
  void Revoke(const PartitionId& id);
  // Whether the partition is rebuilt and caught up (PartitionFigures::ready)
  // and the first day of its complete Kafka history (INT32_MIN: the whole
  // horizon; see WindowFigures::complete). Both start false / complete at
  // assignment and stay across Restore. No-op when not assigned.
  void SetStatus(const PartitionId& id, bool ready, DayNumber history_from);
  std::vector<PartitionId> Partitions() const;
  // PartitionState::Providers() of `id`; empty when not assigned.
  std::vector<std::string> Providers(const PartitionId& id) const;
  // Incremented whenever an eviction (Evict, Snapshot) dropped a
  // provider+program of some partition: Providers() may have shrunk.
  uint64_t eviction_generation() const {
    return eviction_generation_.load(std::memory_order_acquire);
  }

  // PartitionState::Apply on partition `id`. Same REQUIRES. Returns false
  // (event ignored) when `id` is not assigned.
  bool Apply(const PartitionId& id, const EventView& event, DayNumber day);
  bool Apply(const PartitionId& id, const v1::ServiceEvent& event,
             DayNumber day) {
    return Apply(id, EventView(event), day);
  }
  // Applies events in order under one lock. Returns false when `id` is not
  // assigned (nothing applied).
  bool ApplyBatch(const PartitionId& id, absl::Span<const DatedEvent> events);

 private:
  struct Slot;

 public:
  // The consumer's handle on one assigned partition. It stays bound to the
  // partition's state across Restore; after Revoke (or when obtained for a
  // partition not assigned) it is *closed*: Apply returns false and changes
  // nothing, also when the partition is assigned again later (get a new
  // writer then). Cheap to copy and move; keeps the revoked state's memory
  // alive until the last copy is gone, so drop writers on revocation.
  class PartitionWriter {
   public:
    PartitionWriter() = default;  // closed

    // PartitionState::Apply on the partition, same REQUIRES, under the
    // partition's lock. Returns false (event ignored) when closed.
    bool Apply(const EventView& event, DayNumber day) const;
    bool Apply(const v1::ServiceEvent& event, DayNumber day) const {
      return Apply(EventView(event), day);
    }

    // The partition's lock, held until destroyed: for applying a run of
    // events of the partition with one lock acquisition. Snapshot, Evict,
    // Checkpoint, Restore, Revoke and Apply of this partition wait
    // meanwhile (other partitions do not), so hold it for one consumed
    // batch at most, and do not call those from the holding thread
    // (self-deadlock): release it first.
    class Locked {
     public:
      Locked(Locked&& other) noexcept
          : mu_(std::exchange(other.mu_, nullptr)),
            state_(std::exchange(other.state_, nullptr)) {}
      Locked& operator=(Locked&&) = delete;
      ~Locked();
      // False when the writer is closed: Apply then ignores events.
      bool ok() const { return state_ != nullptr; }
      // PartitionState::Apply, same REQUIRES; no-op when !ok().
      void Apply(const EventView& event, DayNumber day) const {
        if (state_ != nullptr) state_->Apply(event, day);
      }
      void Apply(const v1::ServiceEvent& event, DayNumber day) const {
        Apply(EventView(event), day);
      }

     private:
      friend class PartitionWriter;
      Locked(std::mutex* mu, PartitionState* state) : mu_(mu), state_(state) {}
      std::mutex* mu_;
      PartitionState* state_;
    };
    Locked Lock() const;

    // False when obtained for a partition that was not assigned; stays true
    // after revocation (Apply reports that).
    bool bound() const { return slot_ != nullptr; }

   private:
    friend class StateStore;
    explicit PartitionWriter(std::shared_ptr<Slot> slot)
        : slot_(std::move(slot)) {}
    std::shared_ptr<Slot> slot_;
  };

  // A writer for partition `id`; a closed one when `id` is not assigned.
  PartitionWriter Writer(const PartitionId& id) const;

  // Serialize() of one partition; NotFound when not assigned.
  absl::StatusOr<std::string> Checkpoint(const PartitionId& id) const;

  // Figures of every assigned partition as of `today`. Also evicts data
  // past the horizon from partitions not yet evicted for `today`.
  StoreSnapshot Snapshot(DayNumber today);
  // PartitionState::CountUnits of every assigned partition (sorted by
  // PartitionId), one partition locked at a time.
  std::vector<PartitionUnits> CountUnits(
      std::string_view program, const std::vector<UnitQuery>& queries) const;
  // One provider's figures as of the past day `as_of`, read-only: nothing
  // is evicted, one partition is locked at a time. The snapshot's today is
  // `as_of`; it holds every assigned partition with data of the provider
  // within the horizon of `as_of`, each with only that provider's programs.
  // Figures that read days before now - horizon + 1 (evicted as of `now`,
  // the day of the latest Snapshot) or before the partition's history are
  // marked incomplete (WindowFigures::complete, history_complete): for
  // as_of < now, stalled_referrals always is. Empty when no partition has
  // data of the provider. REQUIRES: as_of <= now.
  StoreSnapshot ProviderSnapshot(std::string_view provider, DayNumber as_of,
                                 DayNumber now) const;
  // PartitionState::EventsBetween in the first partition (by PartitionId)
  // that keeps the provider+program; std::nullopt when none does.
  std::optional<EventCounts> EventsBetween(std::string_view provider,
                                           std::string_view program,
                                           DayNumber from, DayNumber to) const;
  // Only the eviction part of Snapshot: frees data past the horizon in
  // every partition not yet evicted for `today`. Never changes a figure.
  void Evict(DayNumber today);

 private:
  // Locks: std::mutex and std::shared_mutex rather than absl::Mutex, which
  // costs ~48 ns per uncontended lock+unlock in the Abseil build used here
  // (std::mutex: ~6 ns); the per-event path takes one.
  struct Slot {
    explicit Slot(PartitionState s) : state(std::move(s)) {}
    std::mutex mu;
    PartitionState state;                // guarded by mu
    DayNumber evicted_for = INT32_MIN;   // guarded by mu
    bool revoked = false;                // guarded by mu
    bool ready = false;                  // guarded by mu
    DayNumber history_from = INT32_MIN;  // guarded by mu
  };
  // REQUIRES: mu_ held (shared or exclusive).
  std::shared_ptr<Slot> Find(const PartitionId& id) const;
  std::vector<std::pair<PartitionId, std::shared_ptr<Slot>>> SortedSlots()
      const;
  // REQUIRES: slot.mu held.
  void EvictSlot(Slot& slot, DayNumber today);
  // Marks the figures that read days before `kept_from` (the first day of
  // complete history; INT32_MIN: all) incomplete.
  void MarkCompleteness(DayNumber kept_from, DayNumber today,
                        std::vector<ProgramFigures>& programs) const;
  // REQUIRES: mu_ held exclusively and slot.mu held.
  void RetireOverflow(Slot& slot);
  std::vector<GroupOverflow> Overflow() const;

  const StateSettings settings_;
  mutable std::shared_mutex mu_;
  // Guarded by mu_.
  absl::flat_hash_map<PartitionId, std::shared_ptr<Slot>> partitions_;
  // Overflow counts of partitions already revoked or replaced; guarded by
  // mu_.
  std::vector<uint64_t> retired_overflow_;
  std::atomic<uint64_t> eviction_generation_{0};
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_STATE_STORE_H_
