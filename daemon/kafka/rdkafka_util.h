// Helpers shared by the librdkafka-based clients. Internal to daemon/kafka.
#ifndef OUTCOMESD_DAEMON_KAFKA_RDKAFKA_UTIL_H_
#define OUTCOMESD_DAEMON_KAFKA_RDKAFKA_UTIL_H_

#include <librdkafka/rdkafka.h>

#include <memory>

#include "absl/status/statusor.h"
#include "daemon/kafka/kafka_config.h"

namespace outcomes::rdkafka {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

struct TopicPartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using TopicPartitionListPtr =
    std::unique_ptr<rd_kafka_topic_partition_list_t, TopicPartitionListDeleter>;

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;

// A client of `type` owning `conf`. Errors start with `what`.
absl::StatusOr<HandlePtr> NewHandle(rd_kafka_type_t type, ConfPtr conf,
                                    const char* what);

// Builds a conf from `base` then `overrides` (later entries win). Errors name
// the offending property.
absl::StatusOr<ConfPtr> MakeConf(const KafkaProperties& base,
                                 const KafkaProperties& overrides);

// Routes librdkafka's own log lines to our JSON log.
void InstallLogger(rd_kafka_conf_t* conf);

}  // namespace outcomes::rdkafka

#endif  // OUTCOMESD_DAEMON_KAFKA_RDKAFKA_UTIL_H_
