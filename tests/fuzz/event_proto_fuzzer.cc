// libFuzzer target: EventDecoder::Decode on arbitrary bytes, seeded with
// binary protobuf ServiceEvents (corpus/event_proto/). Checks the
// invariants of event_invariants.h on every input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/ingest/event_decoder.h"
#include "tests/fuzz/event_invariants.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  outcomes::fuzz::SilenceProtobufLogging();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One decoder for the whole run, as the consumer keeps one: state left by
  // an input (the reused message, the cached days) must not leak into the
  // next.
  static auto* decoder =
      new outcomes::EventDecoder(outcomes::fuzz::FuzzValidationSettings());
  outcomes::fuzz::DecodeAndCheck(
      *decoder, std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
