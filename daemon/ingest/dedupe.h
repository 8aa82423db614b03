// Remembers event_ids seen within the horizon so that a redelivered or
// re-sent event is counted once (docs/design.md, "From event to figure",
// "Dedupe").
//
// Ids are kept as 64-bit hashes with the day of the event, in an
// open-addressing table (linear probing, load <= 3/4): 12 bytes per slot,
// at most 16 per id, and one cache miss per lookup in the common case. Two
// distinct ids collide with probability ~n²/2^65: about 3e-6 for 10 M live ids;
// a collision would drop one event as a duplicate.
//
// Thread safety: not thread-safe. One index per Kafka partition: events are
// keyed by provider_id, so a re-sent event lands in the same partition.
#ifndef OUTCOMESD_DAEMON_INGEST_DEDUPE_H_
#define OUTCOMESD_DAEMON_INGEST_DEDUPE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daemon/base/day.h"
#include "daemon/base/huge_array.h"

namespace outcomes {

class DedupeIndex {
 public:
  // Records `event_id` (of an event on `day`). Returns true when it is new,
  // false when it was seen before and not yet evicted.
  bool Insert(std::string_view event_id, DayNumber day) {
    return InsertHash(Hash(event_id), day);
  }

  // Split Insert, so that the slot's cache miss overlaps other work:
  // Prefetch returns the id's hash and asks the CPU to load its slot;
  // InsertHash(hash, day) is then Insert(event_id, day).
  uint64_t Prefetch(std::string_view event_id) const;
  bool InsertHash(uint64_t hash, DayNumber day);
  static uint64_t Hash(std::string_view event_id);

  // Forgets ids whose day is before `oldest_kept_day`.
  void EvictBefore(DayNumber oldest_kept_day);

  size_t size() const { return size_; }

  // Checkpoint support: a compact binary image and its inverse.
  std::string Serialize() const;
  static absl::StatusOr<DedupeIndex> Deserialize(std::string_view data);

 private:
  // Inserts `hash` (non-zero) known to be absent. REQUIRES: room for it.
  void InsertNew(uint64_t hash, DayNumber day);
  void Rehash(size_t capacity);

  // A slot: hash (0 = empty) and day side by side, so that a lookup or an
  // insert touches one cache line, not one in each of two arrays. The
  // array is a HugeArray: probes at random into megabytes would otherwise
  // miss the TLB as well as the cache.
  struct __attribute__((packed)) Slot {
    uint64_t hash;
    DayNumber day;
  };
  static_assert(sizeof(Slot) == 12);
  HugeArray<Slot> slots_;
  size_t size_ = 0;
  size_t mask_ = 0;  // capacity - 1; capacity is a power of two
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_INGEST_DEDUPE_H_
