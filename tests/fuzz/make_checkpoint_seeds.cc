// Writes the seed corpus of the checkpoint fuzz target: real encodings
// (made by the product code, so they follow its format) of a checked file,
// a partition state, a dedupe index and alert snapshots, each behind the
// decoder byte of checkpoint_inputs.h. Run again when a format changes:
//   build-fuzz/tests/fuzz/make_checkpoint_seeds tests/fuzz/corpus/checkpoint
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/alerts/alert_lifecycle.h"
#include "daemon/base/checked_file.h"
#include "daemon/base/clock.h"
#include "daemon/ingest/dedupe.h"
#include "daemon/state/partition_state.h"
#include "tests/fuzz/checkpoint_inputs.h"

namespace outcomes::fuzz {
namespace {

void Write(const std::string& dir, const std::string& name,
           CheckpointDecoder decoder, const std::string& bytes) {
  std::ofstream out(absl::StrCat(dir, "/", name), std::ios::binary);
  out.put(static_cast<char>(decoder));
  out << bytes;
}

v1::ServiceEvent Event(int i, v1::EventType type, absl::Time at) {
  v1::ServiceEvent e;
  e.set_event_id(absl::StrCat("ev-", i));
  e.set_type(type);
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(at));
  e.set_provider_id(i % 3 == 0 ? "prov-a" : "prov-b");
  e.set_program_id("workforce");
  e.set_client_key(absl::StrCat("client-", i % 7));
  if (i % 2 == 0) e.add_priority_groups("justice_involved");
  (*e.mutable_attributes())["race_ethnicity"] = i % 4 == 0 ? "black" : "white";
  if (i % 5 == 0) (*e.mutable_attributes())["gender"] = "f";
  return e;
}

std::string PartitionSeed(int events) {
  const StateSettings settings = FuzzStateSettings();
  PartitionState state(settings);
  const v1::EventType types[] = {
      v1::EVENT_TYPE_REFERRAL, v1::EVENT_TYPE_ENROLLMENT,
      v1::EVENT_TYPE_COMPLETION, v1::EVENT_TYPE_DISENROLLMENT,
      v1::EVENT_TYPE_OUTCOME};
  for (int i = 0; i < events; ++i) {
    const absl::Time at = FuzzCheckpointNow() - absl::Hours(24 * (events - i));
    state.Apply(Event(i, types[i % 5], at), DayOf(at, settings.timezone));
  }
  return state.Serialize();
}

std::string DedupeSeed() {
  DedupeIndex index;
  for (int i = 0; i < 20; ++i) index.Insert(absl::StrCat("ev-", i), 20000 + i);
  return index.Serialize();
}

v1::AlertStateSnapshot AlertSeed() {
  FakeClock clock(FuzzCheckpointNow());
  AlertLifecycle lifecycle(AlertLifecycle::Options{}, clock);
  std::vector<AlertInput> holding(2);
  holding[0].labels = {{"alertname", "LowEnrollment"}, {"provider", "prov-a"}};
  holding[0].annotations = {{"summary", "enrollment 0.2 < 0.5"}};
  holding[0].value = 0.2;
  holding[0].target = 0.5;
  holding[0].sample_size = 40;
  holding[0].window = "30d";
  holding[0].keep_firing_for = absl::Minutes(10);
  holding[1].labels = {{"alertname", "Stalled"}, {"provider", "prov-b"}};
  lifecycle.Update(holding);
  clock.Advance(absl::Minutes(20));
  lifecycle.Update({holding[0]});  // firing with for 0s; Stalled resolved
  return lifecycle.Snapshot();
}

}  // namespace
}  // namespace outcomes::fuzz

int main(int argc, char** argv) {
  using namespace outcomes;
  using namespace outcomes::fuzz;
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_checkpoint_seeds DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::string state = PartitionSeed(60);
  Write(dir, "checked_file", CheckpointDecoder::kCheckedFile,
        EncodeCheckedFile("OCKP", 1, state));
  Write(dir, "partition_state_small", CheckpointDecoder::kPartitionState,
        PartitionSeed(6));
  Write(dir, "partition_state", CheckpointDecoder::kPartitionState, state);
  Write(dir, "partition_state_empty", CheckpointDecoder::kPartitionState,
        PartitionState(FuzzStateSettings()).Serialize());
  Write(dir, "dedupe", CheckpointDecoder::kDedupe, DedupeSeed());
  const v1::AlertStateSnapshot alerts = AlertSeed();
  Write(dir, "alert_snapshot_file", CheckpointDecoder::kAlertSnapshot,
        EncodeAlertSnapshotFile(alerts));
  Write(dir, "alert_snapshot_bare", CheckpointDecoder::kAlertSnapshot,
        alerts.SerializeAsString());
  return 0;
}
