#include "daemon/ingest/event_wire.h"

#include <cstdint>
#include <cstring>

namespace outcomes {
namespace {

// Wire types (protobuf encoding).
constexpr uint8_t kVarint = 0;
constexpr uint8_t kFixed64 = 1;
constexpr uint8_t kLength = 2;

// Reads protobuf wire bytes; every method returns false when it cannot
// read what was asked (truncated, overlong), and the parse gives up.
class WireReader {
 public:
  explicit WireReader(std::string_view bytes)
      : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  bool done() const { return p_ == end_; }

  // A one-byte tag (field numbers up to 15): ServiceEvent's are all.
  bool Tag(int& field, uint8_t& wire_type) {
    if (p_ == end_) return false;
    const auto tag = static_cast<uint8_t>(*p_);
    if (tag & 0x80) return false;
    ++p_;
    field = tag >> 3;
    wire_type = tag & 7;
    return true;
  }

  bool Varint(uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64 && p_ != end_; shift += 7) {
      const auto b = static_cast<uint8_t>(*p_++);
      value |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return shift < 63 || b <= 1;
    }
    return false;
  }

  bool Fixed64(uint64_t& value) {
    if (end_ - p_ < 8) return false;
    std::memcpy(&value, p_, 8);  // little-endian, like x86
    p_ += 8;
    return true;
  }

  // A length-delimited field's bytes.
  bool Bytes(std::string_view& out) {
    uint64_t length = 0;
    if (!Varint(length) || length > static_cast<uint64_t>(end_ - p_)) {
      return false;
    }
    out = std::string_view(p_, length);
    p_ += length;
    return true;
  }

  // Bytes() of text: only ASCII here (protobuf validates UTF-8 itself).
  bool Ascii(std::string_view& out) {
    if (!Bytes(out)) return false;
    for (char c : out) {
      if (static_cast<unsigned char>(c) & 0x80) return false;
    }
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

static_assert(sizeof(double) == 8);

// google.protobuf.Timestamp: seconds (1), nanos (2), each at most once.
bool ParseTimestamp(std::string_view bytes, EventView& view) {
  WireReader in(bytes);
  uint64_t seconds = 0, nanos = 0;
  unsigned seen = 0;
  while (!in.done()) {
    int field;
    uint8_t type;
    if (!in.Tag(field, type) || type != kVarint || (field != 1 && field != 2) ||
        (seen & (1u << field))) {
      return false;
    }
    seen |= 1u << field;
    if (!in.Varint(field == 1 ? seconds : nanos)) return false;
  }
  view.set_occurred_at(static_cast<int64_t>(seconds),
                       static_cast<int32_t>(nanos));
  return true;
}

// An attributes map entry: key (1) and value (2), each at most once.
bool ParseAttribute(std::string_view bytes, EventView& view) {
  WireReader in(bytes);
  std::string_view parts[3];
  unsigned seen = 0;
  while (!in.done()) {
    int field;
    uint8_t type;
    if (!in.Tag(field, type) || type != kLength || (field != 1 && field != 2) ||
        (seen & (1u << field)) || !in.Ascii(parts[field])) {
      return false;
    }
    seen |= 1u << field;
  }
  if (view.FindAttribute(parts[1]) != nullptr) return false;  // repeated key
  view.add_attribute(parts[1], parts[2]);
  return true;
}

// One field of the event; false to give up.
bool ParseField(WireReader& in, int field, uint8_t type, EventView& view) {
  std::string_view text;
  uint64_t number = 0;
  switch (field) {
    case 2:
      if (type != kVarint || !in.Varint(number)) return false;
      view.set_type(static_cast<int32_t>(number));
      return true;
    case 3:
      return type == kLength && in.Bytes(text) && ParseTimestamp(text, view);
    case 9:
      return type == kLength && in.Bytes(text) && ParseAttribute(text, view);
    case 11:
      if (type != kFixed64 || !in.Fixed64(number)) return false;
      double value;
      std::memcpy(&value, &number, sizeof(value));
      view.set_outcome_value(value);
      return true;
    default:
      break;
  }
  if (type != kLength || !in.Ascii(text)) return false;
  switch (field) {
    case 1:
      view.set_event_id(text);
      return true;
    case 4:
      view.set_provider_id(text);
      return true;
    case 5:
      view.set_program_id(text);
      return true;
    case 6:
      view.set_contract_id(text);
      return true;
    case 7:
      view.set_client_key(text);
      return true;
    case 8:
      view.add_priority_group(text);
      return true;
    case 10:
      view.set_outcome_code(text);
      return true;
    default:
      return false;  // unknown field
  }
}

}  // namespace

bool ParseEventWire(std::string_view bytes, EventView& view) {
  view.Clear();
  WireReader in(bytes);
  unsigned seen = 0;  // singular fields read so far, by number
  constexpr unsigned kRepeatable = (1u << 8) | (1u << 9);
  while (!in.done()) {
    int field;
    uint8_t type;
    if (!in.Tag(field, type) || field == 0) return false;
    const unsigned bit = 1u << field;
    if ((seen & bit) && !(bit & kRepeatable)) return false;
    seen |= bit;
    if (!ParseField(in, field, type, view)) return false;
  }
  return true;
}

}  // namespace outcomes
