// Topic configuration lookups with librdkafka's admin API (DescribeConfigs).
#include <librdkafka/rdkafka.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"
#include "daemon/kafka/rdkafka_clients.h"
#include "daemon/kafka/rdkafka_util.h"

namespace outcomes {
namespace {

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct ResourceDeleter {
  void operator()(rd_kafka_ConfigResource_t* r) const {
    rd_kafka_ConfigResource_destroy(r);
  }
};

// The value of `name` in a DescribeConfigs result for one topic.
absl::StatusOr<std::optional<std::string>> FindConfig(
    const rd_kafka_DescribeConfigs_result_t* result, const std::string& name) {
  size_t n = 0;
  const rd_kafka_ConfigResource_t** resources =
      rd_kafka_DescribeConfigs_result_resources(result, &n);
  if (n != 1) return absl::InternalError("describe configs: no resource");
  if (rd_kafka_ConfigResource_error(resources[0])) {
    return absl::UnavailableError(
        absl::StrCat("describe configs: ",
                     rd_kafka_ConfigResource_error_string(resources[0])));
  }
  size_t count = 0;
  const rd_kafka_ConfigEntry_t** entries =
      rd_kafka_ConfigResource_configs(resources[0], &count);
  for (size_t i = 0; i < count; ++i) {
    if (name == rd_kafka_ConfigEntry_name(entries[i])) {
      const char* value = rd_kafka_ConfigEntry_value(entries[i]);
      return value == nullptr ? std::nullopt
                              : std::optional<std::string>(value);
    }
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::optional<std::string>> DescribeTopicConfig(
    const KafkaSettings& settings, const std::string& topic,
    const std::string& name, absl::Duration timeout) {
  KafkaProperties props = {{"bootstrap.servers", settings.brokers}};
  props.insert(props.end(), settings.extra.begin(), settings.extra.end());
  auto conf = rdkafka::MakeConf(props, {});
  if (!conf.ok()) return conf.status();
  absl::StatusOr<rdkafka::HandlePtr> rk =
      rdkafka::NewHandle(RD_KAFKA_PRODUCER, *std::move(conf), "kafka admin");
  if (!rk.ok()) return rk.status();
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(
      rd_kafka_queue_new(rk->get()));
  std::unique_ptr<rd_kafka_ConfigResource_t, ResourceDeleter> resource(
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
  rd_kafka_ConfigResource_t* resources[] = {resource.get()};
  rd_kafka_DescribeConfigs(rk->get(), resources, 1, nullptr, queue.get());
  std::unique_ptr<rd_kafka_event_t, EventDeleter> event(rd_kafka_queue_poll(
      queue.get(), static_cast<int>(absl::ToInt64Milliseconds(timeout))));
  if (event == nullptr) {
    return absl::DeadlineExceededError("describe configs: timed out");
  }
  if (rd_kafka_event_error(event.get())) {
    return absl::UnavailableError(absl::StrCat(
        "describe configs: ", rd_kafka_event_error_string(event.get())));
  }
  const rd_kafka_DescribeConfigs_result_t* result =
      rd_kafka_event_DescribeConfigs_result(event.get());
  if (result == nullptr)
    return absl::InternalError("describe configs: no result");
  return FindConfig(result, name);
}

}  // namespace outcomes
