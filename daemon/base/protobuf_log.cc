#include "daemon/base/protobuf_log.h"

#include <google/protobuf/stubs/logging.h>

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "daemon/base/json_log.h"

namespace outcomes {
namespace {

// protobuf's ERROR is what a hostile event causes (the event is rejected
// and counted), so it is a warning here; only FATAL is a daemon error.
LogLevel LevelOf(google::protobuf::LogLevel level) {
  switch (level) {
    case google::protobuf::LOGLEVEL_INFO:
      return LogLevel::kInfo;
    case google::protobuf::LOGLEVEL_WARNING:
    case google::protobuf::LOGLEVEL_ERROR:
      return LogLevel::kWarning;
    default:
      return LogLevel::kError;
  }
}

void Handle(google::protobuf::LogLevel level, const char* file, int line,
            const std::string& message) {
  if (!LogDue(message, absl::Minutes(1))) return;
  std::string detail = message;
  while (!detail.empty() && detail.back() == ' ') detail.pop_back();
  Log(LevelOf(level), "libprotobuf",
      {{"detail", detail}, {"source", std::string(file)}, {"line", line}});
}

}  // namespace

void RouteProtobufLogsToJson() { google::protobuf::SetLogHandler(&Handle); }

}  // namespace outcomes
