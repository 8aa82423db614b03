// Remembers event_ids seen within the horizon so that a redelivered or
// re-sent event is counted once (DESIGN.md §3, "Dedupe").
//
// Ids are kept as 64-bit hashes with the day of the event (12 bytes of
// payload per id). Two distinct ids collide with probability ~n²/2^65: about
// 3e-6 for 10 M live ids; a collision would drop one event as a duplicate.
//
// Thread safety: not thread-safe. One index per Kafka partition: events are
// keyed by provider_id, so a re-sent event lands in the same partition.
#ifndef OUTCOMESD_DAEMON_DEDUPE_H_
#define OUTCOMESD_DAEMON_DEDUPE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "daemon/day.h"

namespace outcomes {

class DedupeIndex {
 public:
  // Records `event_id` (of an event on `day`). Returns true when it is new,
  // false when it was seen before and not yet evicted.
  bool Insert(std::string_view event_id, DayNumber day);

  // Forgets ids whose day is before `oldest_kept_day`.
  void EvictBefore(DayNumber oldest_kept_day);

  size_t size() const { return seen_.size(); }

  // Checkpoint support: a compact binary image and its inverse.
  std::string Serialize() const;
  static absl::StatusOr<DedupeIndex> Deserialize(std::string_view data);

 private:
  absl::flat_hash_map<uint64_t, DayNumber> seen_;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_DEDUPE_H_
