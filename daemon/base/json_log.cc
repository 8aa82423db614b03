#include "daemon/base/json_log.h"

#include <atomic>
#include <cstdio>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "daemon/base/json.h"

namespace outcomes {
namespace {

std::atomic<int> min_level{static_cast<int>(LogLevel::kInfo)};

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

Json FieldValue(const LogField& field) {
  if (const auto* s = std::get_if<std::string>(&field.value)) return *s;
  if (const auto* i = std::get_if<long long>(&field.value)) return *i;
  if (const auto* d = std::get_if<double>(&field.value)) {
    return JsonNumberOrNull(*d);
  }
  return std::get<bool>(field.value);
}

}  // namespace

std::string FormatRfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

std::string FormatLogLine(LogLevel level, std::string_view msg,
                          const std::vector<LogField>& fields) {
  Json line = Json::object();
  line["ts"] = FormatRfc3339(absl::Now());
  line["level"] = LevelName(level);
  line["msg"] = msg;
  // A field never replaces ts, level, msg or an earlier field.
  for (const LogField& field : fields) {
    line.emplace(field.key, FieldValue(field));
  }
  return DumpJson(line);
}

bool LogDue(std::string_view key, absl::Duration interval) {
  static absl::Mutex mu(absl::kConstInit);
  static auto* last = new absl::flat_hash_map<std::string, absl::Time>();
  absl::MutexLock lock(&mu);
  if (last->size() > 1000) last->clear();
  absl::Time& at = (*last)[std::string(key)];
  const absl::Time now = absl::Now();
  if (now - at < interval) return false;
  at = now;
  return true;
}

void SetMinLogLevel(LogLevel level) { min_level = static_cast<int>(level); }

void Log(LogLevel level, std::string_view msg,
         const std::vector<LogField>& fields) {
  if (static_cast<int>(level) < min_level.load()) return;
  std::string line = FormatLogLine(level, msg, fields);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace outcomes
