// The state of one Kafka partition (docs/design.md, "Parts and layers"): for
// every provider+program seen in the partition, day-bucket counters (DayRings)
// and per-client funnels (FunnelTable), plus the partition's interned
// subgroup values. Created on assignment, checkpointed as one unit
// (Serialize), dropped on revocation.
//
// Matching rules for funnels are in daemon/state/FUNNEL_RULES.md.
//
// Thread safety: none. One thread at a time, const methods included (they
// may finish queued funnel updates, see Apply); StateStore adds the locking.
// Units: DayNumber (days in the agency time zone, daemon/base/day.h).
#ifndef OUTCOMESD_DAEMON_STATE_PARTITION_STATE_H_
#define OUTCOMESD_DAEMON_STATE_PARTITION_STATE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "daemon/base/day.h"
#include "daemon/base/event_view.h"
#include "daemon/state/byte_codec.h"
#include "daemon/state/day_rings.h"
#include "daemon/state/event_kind.h"
#include "daemon/state/figures.h"
#include "daemon/state/funnel_table.h"
#include "daemon/state/group_interner.h"
#include "daemon/state/payment_log.h"
#include "daemon/state/state_settings.h"
#include "outcomes/v1/event.pb.h"

namespace outcomes {

// Everything kept for one provider+program. Cache-line aligned: the first
// line holds all an event needs to reach its funnel and day counters
// (FunnelTable's 24 bytes, then DayRings' hot 40 bytes).
struct alignas(64) ProgramState {
  ProgramState(std::string_view provider_id, std::string_view program_id,
               int horizon_days)
      : rings(horizon_days), provider(provider_id), program(program_id) {}
  FunnelTable funnels;
  DayRings rings;
  std::string provider;
  std::string program;
  PaymentLog payments;
};

// Events per type, indexed by EventKind.
using EventCounts = std::array<int64_t, kNumEventKinds>;

class PartitionState {
 public:
  // REQUIRES: ValidateStateSettings(settings).ok(). Copies the settings.
  explicit PartitionState(const StateSettings& settings);
  PartitionState(PartitionState&&) = default;
  PartitionState& operator=(PartitionState&&) = default;

  // Counts `event` on `day` (its occurred_at's day in settings.timezone).
  // REQUIRES: the event is validated (known type, provider/program/client
  // present) and deduplicated, and 0 <= today - day < horizon_days at
  // ingest. An event that breaks the horizon rule anyway is dropped and
  // counted in dropped_events(). Does not allocate per event once its
  // provider+program and client have been seen.
  //
  // Speed: the event's provider+program is looked up and its subgroups
  // interned at once, but its counters and funnel are updated two events of
  // this partition later (or by the next method that reads the state,
  // whichever comes first), their memory prefetched one event later, so
  // that the cache misses of one event overlap the work of the next ones.
  // No figure or dropped event depends on it: an event that might be past
  // the horizon is applied at once, after the queued ones.
  void Apply(const EventView& event, DayNumber day);
  void Apply(const v1::ServiceEvent& event, DayNumber day) {
    Apply(EventView(event), day);
  }

  // Frees everything of age >= horizon_days (day <= today - horizon). The
  // figures do not depend on when Evict runs; only memory does.
  void Evict(DayNumber today);

  // The docs/metrics.md figures as of `today`, one entry per provider+program
  // with data of days today-horizon+1 .. today, sorted by (provider,
  // program). Events
  // with a day after `today` are not counted yet.
  std::vector<ProgramFigures> ComputeFigures(DayNumber today) const;
  // ComputeFigures(today) of `provider`'s programs only.
  std::vector<ProgramFigures> ComputeProviderFigures(std::string_view provider,
                                                     DayNumber today) const;
  // Events per type (indexed by EventKind) of one provider+program with a
  // day in [from, to], from the day buckets (the counts ComputeFigures
  // reads); std::nullopt when the provider+program is not kept. Days more
  // than a horizon before `to`, and days already evicted, count 0.
  // REQUIRES: from <= to.
  std::optional<EventCounts> EventsBetween(std::string_view provider,
                                           std::string_view program,
                                           DayNumber from, DayNumber to) const;

  // Outcome payment units (payment_log.h) of every provider of `program`
  // with data within the horizon, sorted by provider: counts[i] answers
  // queries[i]. A query for an outcome code never seen counts nothing.
  std::vector<ProviderUnits> CountUnits(
      std::string_view program, const std::vector<UnitQuery>& queries) const;

  // Versioned binary checkpoint of the whole state: no client_key in it,
  // only their keyed hashes and the key's fingerprint (never the key).
  std::string Serialize() const;
  // Rebuilds a state from Serialize() output. Fails (InvalidArgument or
  // FailedPrecondition) on corrupt data or when the checkpoint was written
  // with a different time zone, horizon, dimensions or group cap, or with
  // another client hash key (IsClientKeyChanged; format version 1, whose
  // hashes were unkeyed, included); the caller then rebuilds the partition
  // from Kafka.
  static absl::StatusOr<PartitionState> Deserialize(
      std::string_view data, const StateSettings& settings);

  const StateSettings& settings() const { return settings_; }
  const GroupInterner& groups() const { return groups_; }
  size_t num_programs() const { return programs_.size(); }
  // The distinct providers of the provider+programs kept (sorted): those
  // with data not yet evicted.
  std::vector<std::string> Providers() const;
  size_t num_funnels() const;
  // Events dropped because they were past the horizon (REQUIRES broken).
  uint64_t dropped_events() const {
    Flush();
    return dropped_;
  }

 private:
  struct KeyView {
    std::string_view provider;
    std::string_view program;
  };
  struct Key {
    std::string provider;
    std::string program;
  };
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(const KeyView& k) const;
    size_t operator()(const Key& k) const { return (*this)(View(k)); }
  };
  struct KeyEq {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return View(a).provider == View(b).provider &&
             View(a).program == View(b).program;
    }
  };
  // Lookup of a provider+program by hash, touching only compact data of
  // this partition, never the ProgramState itself: usually one cache line,
  // the entry holding the key bytes. Open addressing, at most half full;
  // programs_ owns the states.
  class ProgramIndex {
   public:
    ProgramState* Find(uint64_t hash, std::string_view provider,
                       std::string_view program) const;
    // REQUIRES: the key is not in the index.
    void Insert(uint64_t hash, ProgramState* state);
    void Clear();

   private:
    static constexpr size_t kInlineKey = 36;
    struct alignas(64) Entry {
      uint64_t hash = 0;
      ProgramState* state = nullptr;  // null: free
      uint32_t provider_size = 0;
      uint32_t program_size = 0;
      // Provider, then program: in `key` when they fit, else in keys_.
      uint32_t key_at = 0;
      char key[kInlineKey] = {};
      bool Matches(std::string_view keys, std::string_view provider,
                   std::string_view program) const;
    };
    static_assert(sizeof(Entry) == 64);
    void Place(const Entry& e);
    std::vector<Entry> entries_;  // size a power of two (or 0)
    std::string keys_;
    size_t size_ = 0;
  };

  // An event on its way through Apply's stages: looked up and interned
  // (stage 1), its memory prefetched (stage 2), counted (stage 3).
  struct Pending {
    ProgramState* program;
    uint64_t client;  // keyed hash of client_key
    DayNumber day;
    uint16_t profile_bits;  // referrals: FunnelReferral::profile_bits
    FunnelDay funnel_day;   // referrals, enrollments
    uint8_t kind;           // EventKind
    bool priority;
    OutcomeCodeId code;                          // outcomes
    double value;                                // outcomes: outcome_value
    std::array<uint8_t, kMaxDimensions> groups;  // completions, disenr.
  };
  // Events between stage 1 and 3, oldest first: stage 2 runs kStageDepth
  // events after stage 1, stage 3 kStageDepth events after stage 2. Moving
  // it empties the source, whose events point into the state moved away.
  // One event: with the partitions of a consumer interleaved, a longer
  // wait lets the prefetched lines leave the cache again (bench_state's
  // BM_Pipeline: ~0.9 us/event at 1, ~1.05 at 4).
  struct PendingQueue {
    static constexpr uint32_t kStageDepth = 1;
    static constexpr uint32_t kCapacity = 2 * kStageDepth;  // power of two
    PendingQueue() = default;
    PendingQueue(PendingQueue&& other) noexcept { *this = std::move(other); }
    PendingQueue& operator=(PendingQueue&& other) noexcept {
      events = other.events;
      begin = other.begin;
      size = std::exchange(other.size, 0);
      return *this;
    }
    Pending& at(uint32_t i) { return events[(begin + i) % kCapacity]; }
    std::array<Pending, kCapacity> events{};
    uint32_t begin = 0;
    uint32_t size = 0;
  };
  void Enqueue(const Pending& e);
  static void Prefetch(const Pending& e);  // stage 2
  void Count(const Pending& e) const;      // stage 3
  // Runs stage 3 of every queued event. Logically const: it completes
  // updates the state already stands for.
  void Flush() const;
  // Apply without the stages, for events that may be past the horizon.
  // REQUIRES: nothing queued.
  void ApplyNow(const EventView& event, DayNumber day, int kind);

  static KeyView View(const KeyView& k) { return k; }
  static KeyView View(const Key& k) { return {k.provider, k.program}; }

  // Stage 1's reading of `event` into `e` (program, day and kind set).
  void Read(const EventView& event, Pending& e);
  // The id of an outcome code, interned when new (kOtherCode past the cap).
  OutcomeCodeId InternCode(std::string_view code);

  ProgramState& Program(std::string_view provider, std::string_view program);
  // ComputeFigures of every provider (null) or of one.
  std::vector<ProgramFigures> Compute(DayNumber today,
                                      const std::string_view* provider) const;
  static uint64_t ProgramHash(std::string_view provider,
                              std::string_view program);
  // Re-creates index_ from programs_.
  void IndexPrograms();
  bool EnsureEpoch(DayNumber day);
  FunnelDay Encode(DayNumber day) const {
    return static_cast<FunnelDay>(day - *epoch_);
  }
  absl::Status RestoreFrom(std::string_view data);
  absl::Status RestoreBody(ByteReader& reader);
  void WriteHeader(ByteWriter& writer) const;

  StateSettings settings_;
  GroupInterner groups_;
  // Interned outcome codes: outcome_codes_[id]; at most kMaxOutcomeCodes.
  static constexpr size_t kMaxOutcomeCodes = 1024;
  std::vector<std::string> outcome_codes_;
  absl::flat_hash_map<std::string, OutcomeCodeId> code_ids_;
  // Funnel days are stored as day - epoch_; set by the first event.
  std::optional<DayNumber> epoch_;
  absl::flat_hash_map<Key, std::unique_ptr<ProgramState>, KeyHash, KeyEq>
      programs_;
  ProgramIndex index_;  // of programs_
  // The newest day of an event admitted to the stages (or restored): an
  // event more than a horizon older may be dropped and takes ApplyNow.
  DayNumber max_day_ = INT32_MIN;
  mutable uint64_t dropped_ = 0;
  mutable PendingQueue pending_;
};

// True when `status` is a Deserialize error because the checkpoint's client
// hashes were made with another key than settings.client_hasher's.
bool IsClientKeyChanged(const absl::Status& status);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_PARTITION_STATE_H_
