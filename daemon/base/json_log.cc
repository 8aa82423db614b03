#include "daemon/base/json_log.h"

#include <atomic>
#include <cmath>
#include <cstdio>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

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

void AppendValue(std::string& out, const LogField& field) {
  if (const auto* s = std::get_if<std::string>(&field.value)) {
    AppendJsonString(out, *s);
  } else if (const auto* i = std::get_if<long long>(&field.value)) {
    absl::StrAppend(&out, *i);
  } else if (const auto* d = std::get_if<double>(&field.value)) {
    if (std::isfinite(*d)) {
      absl::StrAppend(&out, *d);
    } else {
      out += "null";
    }
  } else {
    out += std::get<bool>(field.value) ? "true" : "false";
  }
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void AppendJsonStringMap(std::string& out,
                         const std::map<std::string, std::string>& m) {
  out += '{';
  bool first = true;
  for (const auto& [key, value] : m) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, key);
    out += ':';
    AppendJsonString(out, value);
  }
  out += '}';
}

std::string FormatRfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

std::string FormatLogLine(LogLevel level, std::string_view msg,
                          const std::vector<LogField>& fields) {
  std::string line = "{\"ts\":";
  AppendJsonString(line, FormatRfc3339(absl::Now()));
  absl::StrAppend(&line, ",\"level\":\"", LevelName(level), "\",\"msg\":");
  AppendJsonString(line, msg);
  for (const LogField& field : fields) {
    line += ',';
    AppendJsonString(line, field.key);
    line += ':';
    AppendValue(line, field);
  }
  line += '}';
  return line;
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
