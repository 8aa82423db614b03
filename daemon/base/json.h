// The one JSON facility of outcomesd: nlohmann::json (Debian's
// nlohmann-json3-dev, header-only) behind a short alias, so every API body,
// alert payload and log line is built as a value and serialized by the
// library (escaping per RFC 8259, doubles in shortest round-trip form).
// This is the only file that includes the library
// (tests/integration/test_layers.py checks it).
//
// Keys keep their insertion order (ordered_json): API responses read in the
// order they are written. Non-finite doubles must not be stored: use
// JsonNumberOrNull.
//
// Thread safety: values are plain data (no sharing between threads without
// external synchronization).
#ifndef OUTCOMESD_DAEMON_BASE_JSON_H_
#define OUTCOMESD_DAEMON_BASE_JSON_H_

#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace outcomes {

using Json = nlohmann::ordered_json;

// `v` as a JSON number, or null when absent or not finite.
inline Json JsonNumberOrNull(const std::optional<double>& v) {
  if (!v.has_value() || !std::isfinite(*v)) return Json(nullptr);
  return Json(*v);
}

// Compact serialization. Invalid UTF-8 in strings is replaced (U+FFFD), never
// thrown: input from producers may be anything.
inline std::string DumpJson(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_BASE_JSON_H_
