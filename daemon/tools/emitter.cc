#include "daemon/tools/emitter.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"

namespace outcomes::tools {

Emitter::Emitter(const Simulation* sim, uint64_t seed,
                 std::unique_ptr<KafkaSink> kafka, KafkaFormat format,
                 std::unique_ptr<LineFileSink> file)
    : sim_(sim),
      seed_(seed),
      kafka_(std::move(kafka)),
      format_(format),
      file_(std::move(file)) {}

absl::Status Emitter::Emit(const SimEvent& event, int64_t occurred_ms) {
  ++emitted_;
  ++per_type_[event.type];
  event_id_.clear();
  absl::StrAppend(&event_id_, "sim-", seed_, "-", emitted_);
  sim_->ToProto(event, event_id_, occurred_ms, &message_);

  const bool need_json =
      file_ != nullptr || (kafka_ != nullptr && format_ == KafkaFormat::kJson);
  if (need_json) {
    if (absl::Status s = WriteJson(); !s.ok()) return s;
  }
  if (file_ != nullptr) {
    if (absl::Status s = file_->Write(json_); !s.ok()) return s;
  }
  if (kafka_ == nullptr) return absl::OkStatus();
  if (format_ == KafkaFormat::kBinary) {
    binary_.clear();
    if (!message_.SerializeToString(&binary_)) {
      return absl::InternalError("cannot serialize event");
    }
  }
  const std::string& value = format_ == KafkaFormat::kBinary ? binary_ : json_;
  if (absl::Status s = kafka_->Send(message_.provider_id(), value); !s.ok()) {
    return s;
  }
  if ((emitted_ & 1023) == 0) kafka_->Poll();
  return absl::OkStatus();
}

absl::Status Emitter::WriteJson() {
  json_.clear();
  const auto status =
      google::protobuf::util::MessageToJsonString(message_, &json_);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print JSON: ", status.ToString()));
  }
  return absl::OkStatus();
}

void Emitter::Poll() {
  if (kafka_ != nullptr) kafka_->Poll();
}

absl::Status Emitter::Finish() {
  absl::Status result;
  if (kafka_ != nullptr) result.Update(kafka_->Flush(absl::Seconds(60)));
  if (file_ != nullptr) result.Update(file_->Close());
  return result;
}

std::string Emitter::Summary() const {
  std::string out = absl::StrCat("events=", emitted_);
  for (int type = 1; type < static_cast<int>(per_type_.size()); ++type) {
    const std::string& name = outcomes::v1::EventType_Name(type);
    absl::StrAppend(
        &out, " ",
        absl::AsciiStrToLower(absl::StripPrefix(name, "EVENT_TYPE_")), "=",
        per_type_[type]);
  }
  if (kafka_ != nullptr) {
    absl::StrAppend(&out, " kafka_delivered=", kafka_->delivered());
  }
  return out;
}

}  // namespace outcomes::tools
