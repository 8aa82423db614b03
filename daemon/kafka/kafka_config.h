// Settings for the librdkafka clients, and the --kafka.config file parser.
#ifndef OUTCOMESD_DAEMON_KAFKA_KAFKA_CONFIG_H_
#define OUTCOMESD_DAEMON_KAFKA_KAFKA_CONFIG_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace outcomes {

using KafkaProperties = std::vector<std::pair<std::string, std::string>>;

struct KafkaSettings {
  std::string brokers;              // bootstrap.servers
  std::vector<std::string> topics;  // subscribed topics
  std::string group = "outcomesd";  // group.id
  std::string dead_letter_topic = "outcomes.events.dlq";
  KafkaProperties extra;  // from --kafka.config (TLS, SASL, ...)
  // On assignment, messages produced within this long before now and below
  // the committed offset are re-read to rebuild partition state.
  absl::Duration replay_window = absl::ZeroDuration();
};

// Parses librdkafka `key=value` lines; '#' starts a comment line, blank lines
// are ignored. Errors name the file and line.
absl::StatusOr<KafkaProperties> ParseKafkaProperties(absl::string_view text,
                                                     absl::string_view origin);
absl::StatusOr<KafkaProperties> LoadKafkaProperties(const std::string& path);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_KAFKA_KAFKA_CONFIG_H_
