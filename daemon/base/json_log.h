// Structured logging: one JSON object per line on stderr, e.g.
//   {"ts":"2026-11-23T05:50:31.123Z","level":"info","msg":"ready","partitions":4}
// Keys in that order, then the fields in the order given (a field named like
// an earlier key is dropped). Lines are serialized by the JSON facility
// (daemon/base/json.h): doubles in shortest round-trip form, non-finite ones
// as null, invalid UTF-8 replaced by U+FFFD.
//
// Callers must never pass a client_key (or any event field other than
// provider/program ids) as a field value.
//
// Thread safety: safe from any thread; each line is written with one call.
#ifndef OUTCOMESD_DAEMON_BASE_JSON_LOG_H_
#define OUTCOMESD_DAEMON_BASE_JSON_LOG_H_

#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/time/time.h"

namespace outcomes {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

struct LogField {
  LogField(std::string_view k, std::string_view v)
      : key(k), value(std::string(v)) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string(v)) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, long long v) : key(k), value(v) {}
  LogField(std::string_view k, int v)
      : key(k), value(static_cast<long long>(v)) {}
  LogField(std::string_view k, long v)
      : key(k), value(static_cast<long long>(v)) {}
  LogField(std::string_view k, unsigned long v)
      : key(k), value(static_cast<long long>(v)) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}

  std::string key;
  std::variant<std::string, long long, double, bool> value;
};

// Formats one log line (without the trailing newline). Exposed for tests.
std::string FormatLogLine(LogLevel level, std::string_view msg,
                          const std::vector<LogField>& fields);

// Lines below this level are dropped. Default kInfo.
void SetMinLogLevel(LogLevel level);

void Log(LogLevel level, std::string_view msg,
         const std::vector<LogField>& fields = {});

// True when no line with `key` was let through in the last `interval`
// (and records it), so repetitive messages from outside input cannot flood
// the log. Keys are a message's fixed text; at most 1000 are remembered
// (then all are forgotten). Thread-safe.
bool LogDue(std::string_view key, absl::Duration interval);

// RFC 3339 UTC with milliseconds, e.g. "2026-11-23T05:50:31.123Z".
std::string FormatRfc3339(absl::Time t);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_BASE_JSON_LOG_H_
