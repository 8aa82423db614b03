// libFuzzer target: EventDecoder::Decode on JSON text, seeded with proto3
// JSON ServiceEvents (corpus/event_json/, dictionary event_json.dict). An
// input not starting with '{' gets one prepended, so that every input takes
// the JSON path first. Besides the invariants of event_invariants.h: a value
// that protobuf's own JSON parser accepts is never rejected as malformed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "daemon/ingest/event_decoder.h"
#include "google/protobuf/util/json_util.h"
#include "tests/fuzz/event_invariants.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

bool StartsWithBrace(absl::string_view s) {
  const absl::string_view rest = absl::StripLeadingAsciiWhitespace(s);
  return !rest.empty() && rest.front() == '{';
}

bool ProtobufAcceptsJson(const std::string& value) {
  outcomes::v1::ServiceEvent event;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  return google::protobuf::util::JsonStringToMessage(value, &event, options)
      .ok();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  outcomes::fuzz::SilenceProtobufLogging();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* decoder =
      new outcomes::EventDecoder(outcomes::fuzz::FuzzValidationSettings());
  std::string value(reinterpret_cast<const char*>(data), size);
  if (!StartsWithBrace(value)) value.insert(0, 1, '{');
  const outcomes::DecodeResult r =
      outcomes::fuzz::DecodeAndCheck(*decoder, value);
  if (!r.ok && r.reason == outcomes::RejectReason::kMalformed) {
    FUZZ_CHECK(!ProtobufAcceptsJson(value));
  }
  return 0;
}
