// AlertLifecycle::Snapshot/Restore and the snapshot file.
#include <algorithm>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "daemon/alerts/alert_lifecycle.h"
#include "daemon/base/checked_file.h"

namespace outcomes {
namespace {

constexpr int kSnapshotVersion = 1;

int64_t ToMs(absl::Time t) {
  return t == absl::InfinitePast() ? 0 : absl::ToUnixMillis(t);
}
absl::Time FromMs(int64_t ms) {
  return ms == 0 ? absl::InfinitePast() : absl::FromUnixMillis(ms);
}

v1::AlertState ToProto(AlertPhase phase) {
  switch (phase) {
    case AlertPhase::kPending:
      return v1::ALERT_STATE_PENDING;
    case AlertPhase::kFiring:
      return v1::ALERT_STATE_FIRING;
    case AlertPhase::kResolved:
      return v1::ALERT_STATE_RESOLVED;
  }
  return v1::ALERT_STATE_UNSPECIFIED;
}

}  // namespace

v1::AlertInstanceState InstanceToProto(const AlertInstance& a) {
  v1::AlertInstanceState state;
  v1::AlertInstanceState* s = &state;
  s->mutable_labels()->insert(a.labels.begin(), a.labels.end());
  s->mutable_annotations()->insert(a.annotations.begin(), a.annotations.end());
  s->set_state(ToProto(a.phase));
  s->set_active_at_ms(ToMs(a.active_at));
  s->set_fired_at_ms(ToMs(a.fired_at));
  s->set_keep_firing_since_ms(ToMs(a.keep_firing_since));
  s->set_resolved_at_ms(ToMs(a.resolved_at));
  s->set_last_sent_at_ms(ToMs(a.last_sent_at));
  s->set_value(a.value);
  s->set_target(a.target);
  s->set_sample_size(a.sample_size);
  s->set_window(a.window);
  s->set_keep_firing_for_ms(absl::ToInt64Milliseconds(a.keep_firing_for));
  s->set_updated_at_ms(ToMs(a.updated_at));
  return state;
}

absl::StatusOr<AlertInstance> InstanceFromProto(
    const v1::AlertInstanceState& s) {
  AlertInstance a;
  switch (s.state()) {
    case v1::ALERT_STATE_PENDING:
      a.phase = AlertPhase::kPending;
      break;
    case v1::ALERT_STATE_FIRING:
      a.phase = AlertPhase::kFiring;
      break;
    case v1::ALERT_STATE_RESOLVED:
      a.phase = AlertPhase::kResolved;
      break;
    default:
      return absl::InvalidArgumentError("alert snapshot: unknown alert state");
  }
  if (s.labels().empty()) {
    return absl::InvalidArgumentError(
        "alert snapshot: instance without labels");
  }
  a.labels = AlertLabels(s.labels().begin(), s.labels().end());
  a.annotations =
      AlertAnnotations(s.annotations().begin(), s.annotations().end());
  a.active_at = FromMs(s.active_at_ms());
  a.fired_at = FromMs(s.fired_at_ms());
  a.keep_firing_since = FromMs(s.keep_firing_since_ms());
  a.resolved_at = FromMs(s.resolved_at_ms());
  a.last_sent_at = FromMs(s.last_sent_at_ms());
  a.value = s.value();
  a.target = s.target();
  a.sample_size = s.sample_size();
  a.window = s.window();
  a.keep_firing_for = absl::Milliseconds(s.keep_firing_for_ms());
  a.updated_at = FromMs(s.updated_at_ms());
  if (a.updated_at == absl::InfinitePast()) {
    a.updated_at = std::max({a.active_at, a.fired_at, a.keep_firing_since,
                             a.resolved_at, a.last_sent_at});
  }
  return a;
}

v1::AlertStateSnapshot AlertLifecycle::Snapshot() const {
  v1::AlertStateSnapshot snapshot;
  snapshot.set_version(kSnapshotVersion);
  for (const AlertInstance& a : Instances()) {
    *snapshot.add_instances() = InstanceToProto(a);
  }
  return snapshot;
}

absl::Status AlertLifecycle::Restore(const v1::AlertStateSnapshot& snapshot) {
  if (snapshot.version() != kSnapshotVersion) {
    return absl::InvalidArgumentError(absl::StrCat(
        "alert snapshot: unsupported version ", snapshot.version()));
  }
  std::vector<AlertInstance> restored;
  for (const v1::AlertInstanceState& s : snapshot.instances()) {
    auto a = InstanceFromProto(s);
    if (!a.ok()) return a.status();
    restored.push_back(*std::move(a));
  }
  absl::MutexLock lock(&mu_);
  for (AlertInstance& a : restored) {
    std::string key = LabelKey(a.labels);
    instances_[std::move(key)] = std::move(a);
  }
  return absl::OkStatus();
}

namespace {

// The AlertStateSnapshot proto in a checked file (daemon/base/checked_file.h).
// Files without the magic are the format of earlier releases: the bare
// proto.
constexpr std::string_view kMagic = "OALS";
constexpr uint32_t kFileVersion = 2;

}  // namespace

std::string EncodeAlertSnapshotFile(const v1::AlertStateSnapshot& snapshot) {
  return EncodeCheckedFile(kMagic, kFileVersion, snapshot.SerializeAsString());
}

absl::StatusOr<v1::AlertStateSnapshot> DecodeAlertSnapshotFile(
    std::string_view data) {
  v1::AlertStateSnapshot snapshot;
  std::string_view payload = data;  // earlier releases' format
  absl::StatusOr<CheckedFile> file;
  if (data.substr(0, kMagic.size()) == kMagic) {
    file = DecodeCheckedFile(data, kMagic);
    if (!file.ok()) {
      return absl::DataLossError(
          absl::StrCat("corrupt alert snapshot: ", file.status().message()));
    }
    if (file->version != kFileVersion) {
      return absl::DataLossError(absl::StrCat(
          "alert snapshot: unsupported file version ", file->version));
    }
    payload = file->payload;
  }
  if (!snapshot.ParseFromArray(payload.data(),
                               static_cast<int>(payload.size()))) {
    return absl::DataLossError("corrupt alert snapshot");
  }
  return snapshot;
}

absl::Status SaveAlertSnapshot(const v1::AlertStateSnapshot& snapshot,
                               const std::string& path) {
  absl::Status s = WriteCheckedFile(path, kMagic, kFileVersion,
                                    snapshot.SerializeAsString());
  if (s.ok()) return s;
  return absl::UnavailableError(s.message());
}

absl::StatusOr<v1::AlertStateSnapshot> LoadAlertSnapshot(
    const std::string& path) {
  absl::StatusOr<std::string> data = ReadWholeFile(path);
  if (absl::IsNotFound(data.status())) return data.status();
  if (!data.ok()) return absl::UnavailableError(data.status().message());
  auto snapshot = DecodeAlertSnapshotFile(*data);
  if (!snapshot.ok()) {
    return absl::DataLossError(
        absl::StrCat(path, ": ", snapshot.status().message()));
  }
  return snapshot;
}

}  // namespace outcomes
