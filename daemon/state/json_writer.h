// A small streaming JSON writer: objects, arrays, strings (escaped per
// RFC 8259), integers, doubles (shortest round-trip form) and null.
// Commas are inserted automatically. Misuse (e.g. a value with no key
// inside an object) produces invalid JSON; callers are tested.
//
// Thread safety: none.
#ifndef OUTCOMESD_DAEMON_STATE_JSON_WRITER_H_
#define OUTCOMESD_DAEMON_STATE_JSON_WRITER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace outcomes {

class JsonWriter {
 public:
  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  // Writes "key": ; the next call writes its value.
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view s);
  JsonWriter& Int(int64_t v);
  JsonWriter& Double(double v);  // non-finite values become null
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  JsonWriter& OptionalDouble(const std::optional<double>& v) {
    return v.has_value() ? Double(*v) : Null();
  }
  JsonWriter& OptionalInt(const std::optional<int>& v) {
    return v.has_value() ? Int(*v) : Null();
  }

  const std::string& str() const { return out_; }

 private:
  JsonWriter& Open(char c);
  JsonWriter& Close(char c);
  void BeforeValue();
  void AppendEscaped(std::string_view s);

  std::string out_;
  std::vector<bool> first_;  // per open container: no element yet
  bool after_key_ = false;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_JSON_WRITER_H_
