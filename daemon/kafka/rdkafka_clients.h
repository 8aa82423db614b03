// Factories for the librdkafka implementations of the Kafka boundary.
// Only this header's .cc files include librdkafka.
#ifndef OUTCOMESD_DAEMON_KAFKA_RDKAFKA_CLIENTS_H_
#define OUTCOMESD_DAEMON_KAFKA_RDKAFKA_CLIENTS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/kafka/kafka_boundary.h"
#include "daemon/kafka/kafka_config.h"

namespace outcomes {

// A consumer-group member subscribed to settings.topics. Offsets are never
// auto-committed: the caller commits what it has processed.
// `listener` must outlive the consumer.
absl::StatusOr<std::unique_ptr<EventConsumer>> NewRdKafkaConsumer(
    const KafkaSettings& settings, RebalanceListener* listener);

// A producer writing rejected messages to settings.dead_letter_topic.
absl::StatusOr<std::unique_ptr<DeadLetterSink>> NewRdKafkaDeadLetterSink(
    const KafkaSettings& settings);

// The value of topic config `name` (e.g. "retention.ms") as the brokers
// report it, nullopt when the topic has no such entry. Uses a short-lived
// admin client; waits up to `timeout`.
absl::StatusOr<std::optional<std::string>> DescribeTopicConfig(
    const KafkaSettings& settings, const std::string& topic,
    const std::string& name, absl::Duration timeout);

// True while a client given up on at shutdown (a consumer whose group
// coordinator did not answer) is still being released on a thread of its
// own: the process must then end with std::_Exit, as exit()'s handlers
// (OpenSSL's among them) could pull things from under that thread.
bool KafkaClientsStillClosing();

// librdkafka's mock cluster, in-process (--kafka.brokers=embedded).
class EmbeddedKafka {
 public:
  virtual ~EmbeddedKafka() = default;
  // Bootstrap address, e.g. "127.0.0.1:39211".
  virtual std::string bootstraps() const = 0;
};
absl::StatusOr<std::unique_ptr<EmbeddedKafka>> StartEmbeddedKafka(
    const std::vector<std::string>& topics, int partitions);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_KAFKA_RDKAFKA_CLIENTS_H_
