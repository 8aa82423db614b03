// AlertLifecycle::Snapshot/Restore and the snapshot file.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "daemon/alerts/alert_lifecycle.h"

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
    return absl::InvalidArgumentError("alert snapshot: instance without labels");
  }
  a.labels.insert(s.labels().begin(), s.labels().end());
  a.annotations.insert(s.annotations().begin(), s.annotations().end());
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

// File format: "OALS", format version, CRC-32 (IEEE) of the payload and its
// length (little-endian), then the AlertStateSnapshot proto. Files without
// the magic are the format of earlier releases: the bare proto.
constexpr char kMagic[4] = {'O', 'A', 'L', 'S'};
constexpr uint32_t kFileVersion = 2;
constexpr size_t kHeaderSize = 4 + 4 + 4 + 8;

uint32_t Crc32(std::string_view data) {
  static const auto* table = [] {
    auto* t = new std::array<uint32_t, 256>;
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      (*t)[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : data)
    crc = (*table)[(crc ^ byte) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

void PutLe(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t GetLe(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(in[at + i]))
         << (8 * i);
  }
  return v;
}

}  // namespace

std::string EncodeAlertSnapshotFile(const v1::AlertStateSnapshot& snapshot) {
  const std::string payload = snapshot.SerializeAsString();
  std::string out(kMagic, sizeof(kMagic));
  PutLe(out, kFileVersion, 4);
  PutLe(out, Crc32(payload), 4);
  PutLe(out, payload.size(), 8);
  return out + payload;
}

absl::StatusOr<v1::AlertStateSnapshot> DecodeAlertSnapshotFile(
    std::string_view data) {
  v1::AlertStateSnapshot snapshot;
  if (data.size() < sizeof(kMagic) ||
      data.substr(0, sizeof(kMagic)) !=
          std::string_view(kMagic, sizeof(kMagic))) {
    if (!snapshot.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
      return absl::DataLossError("corrupt alert snapshot");
    }
    return snapshot;  // earlier releases' format
  }
  if (data.size() < kHeaderSize) {
    return absl::DataLossError("corrupt alert snapshot: truncated header");
  }
  if (GetLe(data, 4, 4) != kFileVersion) {
    return absl::DataLossError(absl::StrCat(
        "alert snapshot: unsupported file version ", GetLe(data, 4, 4)));
  }
  const std::string_view payload = data.substr(kHeaderSize);
  if (GetLe(data, 12, 8) != payload.size()) {
    return absl::DataLossError("corrupt alert snapshot: wrong length");
  }
  if (GetLe(data, 8, 4) != Crc32(payload)) {
    return absl::DataLossError("corrupt alert snapshot: checksum mismatch");
  }
  if (!snapshot.ParseFromArray(payload.data(),
                               static_cast<int>(payload.size()))) {
    return absl::DataLossError("corrupt alert snapshot");
  }
  return snapshot;
}

absl::Status SaveAlertSnapshot(const v1::AlertStateSnapshot& snapshot,
                               const std::string& path) {
  const std::string tmp = absl::StrCat(path, ".tmp");
  const std::string data = EncodeAlertSnapshotFile(snapshot);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    return absl::UnavailableError(
        absl::StrCat(tmp, ": cannot write: ", std::strerror(errno)));
  }
  const bool written =
      std::fwrite(data.data(), 1, data.size(), f) == data.size() &&
      std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  const int error = errno;
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    std::remove(tmp.c_str());
    return absl::UnavailableError(
        absl::StrCat(tmp, ": cannot write: ", std::strerror(error)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat(path, ": cannot rename ", tmp));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::AlertStateSnapshot> LoadAlertSnapshot(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT)
      return absl::NotFoundError(absl::StrCat(path, ": not found"));
    return absl::UnavailableError(
        absl::StrCat(path, ": cannot read: ", std::strerror(errno)));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto snapshot = DecodeAlertSnapshotFile(buffer.str());
  if (!snapshot.ok()) {
    return absl::DataLossError(
        absl::StrCat(path, ": ", snapshot.status().message()));
  }
  return snapshot;
}

}  // namespace outcomes
