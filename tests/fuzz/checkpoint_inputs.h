// The input format of the checkpoint fuzz target, shared with the seed
// generator (make_checkpoint_seeds.cc): one byte naming the decoder, then
// the bytes that decoder is given.
#ifndef OUTCOMESD_TESTS_FUZZ_CHECKPOINT_INPUTS_H_
#define OUTCOMESD_TESTS_FUZZ_CHECKPOINT_INPUTS_H_

#include <cstdint>

#include "absl/time/time.h"
#include "daemon/state/state_settings.h"

namespace outcomes::fuzz {

enum class CheckpointDecoder : uint8_t {
  kCheckedFile = 0,     // DecodeCheckedFile (magic "OCKP")
  kPartitionState = 1,  // PartitionState::Deserialize (checkpoint payload)
  kDedupe = 2,          // DedupeIndex::Deserialize
  kAlertSnapshot = 3,   // DecodeAlertSnapshotFile + AlertLifecycle::Restore
};
inline constexpr int kNumCheckpointDecoders = 4;

// The settings partition states are restored with: two dimensions, so
// group rings of both are reachable.
inline StateSettings FuzzStateSettings() {
  StateSettings s;
  s.dimensions = {"race_ethnicity", "gender"};
  return s;
}

// "Today" of the restored states' figures: the day the seeds were made.
inline absl::Time FuzzCheckpointNow() {
  return absl::FromCivil(absl::CivilSecond(2026, 3, 20, 9, 30, 0),
                         absl::UTCTimeZone());
}

}  // namespace outcomes::fuzz

#endif  // OUTCOMESD_TESTS_FUZZ_CHECKPOINT_INPUTS_H_
