// libFuzzer target: the decoders of the files in --state.dir, chosen by the
// input's first byte (checkpoint_inputs.h); seeds from
// make_checkpoint_seeds.cc in corpus/checkpoint/. The CRC of a checked
// file stops random bytes early, so the payload decoders are fuzzed on
// their own as well.
//
// Invariants, besides "no crash, no sanitizer report":
//  - checked file: an accepted file re-encodes to the same bytes, and any
//    payload encodes to a file that decodes back to it;
//  - partition state, dedupe index: whatever a decoder accepts re-encodes
//    to bytes it accepts again, with the same figures, programs and
//    funnels, and of a stable size from the second round on;
//  - alert snapshot: an accepted snapshot that restores into a lifecycle
//    snapshots, encodes and decodes back to the same instances.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "daemon/alerts/alert_lifecycle.h"
#include "daemon/base/checked_file.h"
#include "daemon/base/clock.h"
#include "daemon/ingest/dedupe.h"
#include "daemon/state/partition_state.h"
#include "google/protobuf/util/field_comparator.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/fuzz/checkpoint_inputs.h"
#include "tests/fuzz/fuzz_support.h"

namespace outcomes::fuzz {
namespace {

void FuzzCheckedFile(std::string_view data) {
  constexpr std::string_view kMagic = "OCKP";
  absl::StatusOr<CheckedFile> file = DecodeCheckedFile(data, kMagic);
  if (file.ok()) {
    FUZZ_CHECK(EncodeCheckedFile(kMagic, file->version, file->payload) == data);
  } else {
    FUZZ_CHECK(absl::IsDataLoss(file.status()));
  }
  const std::string framed = EncodeCheckedFile(kMagic, 7, data);
  absl::StatusOr<CheckedFile> back = DecodeCheckedFile(framed, kMagic);
  FUZZ_CHECK(back.ok() && back->version == 7 && back->payload == data);
}

// Deserialize(Serialize(state)), which must succeed.
PartitionState RoundTrip(const PartitionState& state) {
  absl::StatusOr<PartitionState> again =
      PartitionState::Deserialize(state.Serialize(), state.settings());
  FUZZ_CHECK(again.ok());
  return *std::move(again);
}

void FuzzPartitionState(std::string_view data) {
  const StateSettings settings = FuzzStateSettings();
  absl::StatusOr<PartitionState> state =
      PartitionState::Deserialize(data, settings);
  if (!state.ok()) return;
  const DayNumber today = DayOf(FuzzCheckpointNow(), settings.timezone);
  PartitionState once = RoundTrip(*state);
  PartitionState twice = RoundTrip(once);
  FUZZ_CHECK(once.num_programs() == state->num_programs());
  FUZZ_CHECK(once.num_funnels() == state->num_funnels());
  FUZZ_CHECK(once.ComputeFigures(today) == state->ComputeFigures(today));
  FUZZ_CHECK(twice.ComputeFigures(today) == state->ComputeFigures(today));
  // Stable from the second round on, in size, not byte for byte: funnels
  // are written in hash table order, which depends on insertion order. (The
  // first round may drop what a corrupt file has but a state never writes,
  // e.g. a group ring without slots.)
  FUZZ_CHECK(RoundTrip(twice).Serialize().size() == twice.Serialize().size());
  // Eviction of a restored state keeps it a valid checkpoint.
  twice.Evict(today);
  RoundTrip(twice);
}

void FuzzDedupe(std::string_view data) {
  absl::StatusOr<DedupeIndex> index = DedupeIndex::Deserialize(data);
  if (!index.ok()) return;
  const std::string once = index->Serialize();
  absl::StatusOr<DedupeIndex> again = DedupeIndex::Deserialize(once);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->size() == index->size());
  FUZZ_CHECK(again->Serialize().size() == once.size());
}

void FuzzAlertSnapshot(std::string_view data) {
  absl::StatusOr<v1::AlertStateSnapshot> snapshot =
      DecodeAlertSnapshotFile(data);
  if (!snapshot.ok()) return;
  FakeClock clock(FuzzCheckpointNow());
  AlertLifecycle lifecycle(AlertLifecycle::Options{}, clock);
  if (!lifecycle.Restore(*snapshot).ok()) return;
  const v1::AlertStateSnapshot once = lifecycle.Snapshot();
  absl::StatusOr<v1::AlertStateSnapshot> decoded =
      DecodeAlertSnapshotFile(EncodeAlertSnapshotFile(once));
  FUZZ_CHECK(decoded.ok());
  AlertLifecycle restored(AlertLifecycle::Options{}, clock);
  FUZZ_CHECK(restored.Restore(*decoded).ok());
  // Values may be NaN: compared as equal to themselves.
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  FUZZ_CHECK(differencer.Compare(restored.Snapshot(), once));
}

}  // namespace
}  // namespace outcomes::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  outcomes::fuzz::SilenceProtobufLogging();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using outcomes::fuzz::CheckpointDecoder;
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1,
                              size - 1);
  switch (static_cast<CheckpointDecoder>(
      data[0] % outcomes::fuzz::kNumCheckpointDecoders)) {
    case CheckpointDecoder::kCheckedFile:
      outcomes::fuzz::FuzzCheckedFile(rest);
      break;
    case CheckpointDecoder::kPartitionState:
      outcomes::fuzz::FuzzPartitionState(rest);
      break;
    case CheckpointDecoder::kDedupe:
      outcomes::fuzz::FuzzDedupe(rest);
      break;
    case CheckpointDecoder::kAlertSnapshot:
      outcomes::fuzz::FuzzAlertSnapshot(rest);
      break;
  }
  return 0;
}
