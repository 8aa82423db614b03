// The state of one Kafka partition (DESIGN.md §2): for every
// provider+program seen in the partition, day-bucket counters (DayRings)
// and per-client funnels (FunnelTable), plus the partition's interned
// subgroup values. Created on assignment, checkpointed as one unit
// (Serialize), dropped on revocation.
//
// Matching rules for funnels are in daemon/state/FUNNEL_RULES.md.
//
// Thread safety: none. One thread at a time; StateStore adds the locking.
// Units: DayNumber (days in the agency time zone, daemon/day.h).
#ifndef OUTCOMESD_DAEMON_STATE_PARTITION_STATE_H_
#define OUTCOMESD_DAEMON_STATE_PARTITION_STATE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "daemon/day.h"
#include "daemon/state/byte_codec.h"
#include "daemon/state/day_rings.h"
#include "daemon/state/figures.h"
#include "daemon/state/funnel_table.h"
#include "daemon/state/group_interner.h"
#include "daemon/state/state_settings.h"
#include "outcomes/v1/event.pb.h"

namespace outcomes {

// Everything kept for one provider+program.
struct ProgramState {
  ProgramState(std::string_view provider_id, std::string_view program_id,
               int horizon_days)
      : provider(provider_id), program(program_id), rings(horizon_days) {}
  std::string provider;
  std::string program;
  DayRings rings;
  FunnelTable funnels;
};

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
  void Apply(const v1::ServiceEvent& event, DayNumber day);

  // Frees everything of age >= horizon_days (day <= today - horizon). The
  // figures do not depend on when Evict runs; only memory does.
  void Evict(DayNumber today);

  // The DESIGN.md §4 figures as of `today`, one entry per provider+program
  // with data within the horizon, sorted by (provider, program). Events
  // with a day after `today` are not counted yet.
  std::vector<ProgramFigures> ComputeFigures(DayNumber today) const;

  // Versioned binary checkpoint of the whole state (no client_key in it).
  std::string Serialize() const;
  // Rebuilds a state from Serialize() output. Fails (InvalidArgument or
  // FailedPrecondition) on corrupt data or when the checkpoint was written
  // with a different time zone, horizon, dimensions or group cap; the
  // caller then rebuilds the partition from Kafka.
  static absl::StatusOr<PartitionState> Deserialize(
      std::string_view data, const StateSettings& settings);

  const StateSettings& settings() const { return settings_; }
  const GroupInterner& groups() const { return groups_; }
  size_t num_programs() const { return programs_.size(); }
  size_t num_funnels() const;
  // Events dropped because they were past the horizon (REQUIRES broken).
  uint64_t dropped_events() const { return dropped_; }

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
  static KeyView View(const KeyView& k) { return k; }
  static KeyView View(const Key& k) { return {k.provider, k.program}; }

  ProgramState& Program(std::string_view provider, std::string_view program);
  bool EnsureEpoch(DayNumber day);
  FunnelDay Encode(DayNumber day) const {
    return static_cast<FunnelDay>(day - *epoch_);
  }
  void CountGroups(ProgramState& p, const v1::ServiceEvent& event,
                   DayNumber day, bool completion);
  absl::Status RestoreFrom(std::string_view data);
  absl::Status RestoreBody(ByteReader& reader);
  void WriteHeader(ByteWriter& writer) const;

  StateSettings settings_;
  GroupInterner groups_;
  // Funnel days are stored as day - epoch_; set by the first event.
  std::optional<DayNumber> epoch_;
  absl::flat_hash_map<Key, std::unique_ptr<ProgramState>, KeyHash, KeyEq>
      programs_;
  uint64_t dropped_ = 0;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_PARTITION_STATE_H_
