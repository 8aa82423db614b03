// Per-client funnels of one provider+program (docs/design.md, "Parts and
// layers"): for each client, the days of its referrals and enrollments within
// the horizon. Completions, disenrollments and outcomes are counted in DayRings
// only: no figure of docs/metrics.md needs to match them to a client.
//
// Clients are keyed by a 64-bit keyed hash of client_key (ClientHasher in
// client_hash.h); the key itself is never stored. Days are 16-bit offsets
// from the owning partition's epoch (FunnelDay). A record holds up to two
// referrals and two enrollments inline (16 bytes; 24 bytes per hash-table
// slot); a client with more is "spilled" to a side table until eviction
// shrinks it again.
//
// The records live in one open-addressing table (linear probing, 24-byte
// slots holding key and record, so a lookup is usually one cache line;
// capacity any integer, grown 1.5x at 3/4 full, so 32-48 bytes per client;
// an empty slot is a record with no entries). Prefetch() lets the caller
// start the cache miss of a lookup early. EvictBefore rebuilds the table
// at the size its survivors need.
//
// Thread safety: none; owned by one PartitionState.
#ifndef OUTCOMESD_DAEMON_STATE_FUNNEL_TABLE_H_
#define OUTCOMESD_DAEMON_STATE_FUNNEL_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "daemon/state/prefetch.h"

namespace outcomes {

// A day inside a funnel: days since the partition epoch (PartitionState).
using FunnelDay = uint16_t;

// One referral: its day, the interned subgroups of its attributes
// ("profile", GroupInterner) and whether the client is a priority client.
struct FunnelReferral {
  static constexpr uint16_t kPriorityBit = 0x8000;
  static constexpr uint16_t kMaxProfile = 0x7fff;

  FunnelDay day;
  uint16_t profile_bits;  // bit 15: priority; bits 0..14: profile id

  static FunnelReferral Make(FunnelDay day, uint16_t profile, bool priority) {
    return {day, static_cast<uint16_t>((profile & kMaxProfile) |
                                       (priority ? kPriorityBit : 0))};
  }
  uint16_t profile() const { return profile_bits & kMaxProfile; }
  bool priority() const { return (profile_bits & kPriorityBit) != 0; }
};

// A client's funnel; both spans are sorted by day, ascending, and hold one
// entry per event (same-day duplicates included).
struct FunnelView {
  absl::Span<const FunnelReferral> referrals;
  absl::Span<const FunnelDay> enrollments;
};

class FunnelTable {
 public:
  // Record stored per client in the main hash map.
  struct Record {
    static constexpr uint8_t kSpilled = 0xff;
    FunnelReferral referrals[2];
    FunnelDay enrollments[2];
    uint8_t num_referrals;  // kSpilled: both lists live in the side table
    uint8_t num_enrollments;
    uint16_t unused;
  };
  static_assert(sizeof(Record) == 16, "funnel record must stay 16 bytes");

  // Starts loading the memory AddReferral/AddEnrollment(client) will touch
  // (a hint: no effect on contents): the client's first probe slot and the
  // next cache line, which probes run on to.
  void Prefetch(uint64_t client) const {
    if (capacity_ == 0) return;
    const char* p = reinterpret_cast<const char*>(slots_ + Home(client));
    PrefetchLine(p);
    PrefetchLine(p + 64);
  }

  void AddReferral(uint64_t client, FunnelReferral referral);
  void AddEnrollment(uint64_t client, FunnelDay day);

  // Removes referrals and enrollments with day < min_day, and clients left
  // with neither.
  void EvictBefore(FunnelDay min_day);

  // Calls f(uint64_t client, const FunnelView&) for every client.
  template <typename F>
  void ForEach(F&& f) const {
    for (size_t i = 0; i < capacity_; ++i) {
      const Slot& s = slots_[i];
      if (!Empty(s.record)) f(s.client, View(s.client, s.record));
    }
  }

  size_t size() const { return size_; }
  size_t spilled() const { return spilled_ == nullptr ? 0 : spilled_->size(); }
  // Slots allocated (memory: 24 bytes each).
  size_t capacity() const { return capacity_; }

  FunnelTable() = default;
  ~FunnelTable() { FreeSlots(slots_, capacity_); }
  FunnelTable(FunnelTable&& other) noexcept
      : slots_(std::exchange(other.slots_, nullptr)),
        capacity_(std::exchange(other.capacity_, 0)),
        size_(std::exchange(other.size_, 0)),
        spilled_(std::move(other.spilled_)) {}
  FunnelTable& operator=(FunnelTable&& other) noexcept {
    if (this != &other) {
      FreeSlots(slots_, capacity_);
      slots_ = std::exchange(other.slots_, nullptr);
      capacity_ = std::exchange(other.capacity_, 0);
      size_ = std::exchange(other.size_, 0);
      spilled_ = std::move(other.spilled_);
    }
    return *this;
  }

 private:
  struct Slot {
    uint64_t client;
    Record record;
  };
  static_assert(sizeof(Slot) == 24, "funnel slot must stay 24 bytes");
  struct Spilled {
    std::vector<FunnelReferral> referrals;
    std::vector<FunnelDay> enrollments;
  };

  // A record with no entries marks a free slot: a client always has one.
  static bool Empty(const Record& r) {
    return r.num_referrals == 0 && r.num_enrollments == 0;
  }
  // The client's first probe position: the high bits of its hash scaled to
  // the capacity.
  size_t Home(uint64_t client) const {
    return static_cast<size_t>(
        (static_cast<unsigned __int128>(client) * capacity_) >> 64);
  }
  // The client's record, inserted (no entries: the caller adds one at once)
  // when missing.
  Record& FindOrInsert(uint64_t client);
  // Re-inserts every client into `capacity` slots.
  void Rehash(size_t capacity);
  // `capacity` empty slots, and their release.
  static Slot* AllocateSlots(size_t capacity);
  static void FreeSlots(Slot* slots, size_t capacity);

  FunnelView View(uint64_t client, const Record& record) const;
  Spilled& Spill(uint64_t client, Record& record);
  // Evicts one client; returns true when the client has no entries left.
  bool EvictClient(uint64_t client, Record& record, FunnelDay min_day);

  // 24 bytes: the owning ProgramState keeps them in its first cache line.
  Slot* slots_ = nullptr;  // [capacity_], owned
  uint32_t capacity_ = 0;
  uint32_t size_ = 0;
  // Created at the first spill.
  std::unique_ptr<absl::flat_hash_map<uint64_t, Spilled>> spilled_;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_FUNNEL_TABLE_H_
