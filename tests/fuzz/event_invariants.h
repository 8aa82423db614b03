// What every decode by EventDecoder must satisfy, checked by the event
// fuzz targets (binary and JSON input) with FUZZ_CHECK:
//  - an accepted event obeys every rule of docs/design.md, "From event to
//  figure", re-checked here
//    independently of the decoder, and its day is its occurred_at's
//    calendar day in the agency time zone, within the horizon;
//  - an accepted event survives re-encoding: its binary protobuf and its
//    proto3 JSON each decode, with a fresh decoder, to the same event and
//    day;
//  - a rejection has a known reason and a detail that is one of a few fixed
//    texts (it never quotes a field such as the client_key).
#ifndef OUTCOMESD_TESTS_FUZZ_EVENT_INVARIANTS_H_
#define OUTCOMESD_TESTS_FUZZ_EVENT_INVARIANTS_H_

#include <string_view>

#include "absl/time/time.h"
#include "daemon/ingest/event_decoder.h"

namespace outcomes::fuzz {

// The settings and wall time the event targets decode with: America/Chicago
// (a daylight saving change inside the horizon), horizon 120 days.
ValidationSettings FuzzValidationSettings();
absl::Time FuzzNow();

// Decodes `value` with `decoder` (built from FuzzValidationSettings) at
// FuzzNow() and checks the invariants above. Returns the result.
DecodeResult DecodeAndCheck(EventDecoder& decoder, std::string_view value);

}  // namespace outcomes::fuzz

#endif  // OUTCOMESD_TESTS_FUZZ_EVENT_INVARIANTS_H_
