// A fast path for decoding binary ServiceEvents: parses the protobuf wire
// format straight into an EventView (views into the message bytes; nothing
// copied or allocated once the view's vectors have grown).
//
// It takes only the encoding every protobuf serializer writes for this
// message: known fields with their own wire types, each singular field at
// most once, distinct attribute keys, and ASCII strings. For anything else
// (unknown or repeated fields, non-ASCII text, anything malformed) it returns
// false and the caller parses with protobuf, which then decides: so accepting
// or rejecting a value never depends on which path read it.
// tests/unit/event_wire_test.cc and the event_proto fuzzer compare the two.
//
// Thread safety: a pure function.
#ifndef OUTCOMESD_DAEMON_INGEST_EVENT_WIRE_H_
#define OUTCOMESD_DAEMON_INGEST_EVENT_WIRE_H_

#include <string_view>

#include "daemon/base/event_view.h"

namespace outcomes {

// Parses `bytes` into `view` (cleared first). True when `bytes` is a
// ServiceEvent in the common encoding described above; `view` then holds
// exactly what protobuf would parse, with views into `bytes`. False
// otherwise (`view` is then unspecified).
bool ParseEventWire(std::string_view bytes, EventView& view);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_INGEST_EVENT_WIRE_H_
