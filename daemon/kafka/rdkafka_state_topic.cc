// librdkafka implementation of AlertStateStore (daemon/alerts/
// alert_state_store.h): an idempotent acks=all producer for writes, the
// admin API to create the compacted topic, and a short-lived assign-only
// consumer for each ReadAll.
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "daemon/alerts/alert_state_store.h"
#include "daemon/base/json_log.h"
#include "daemon/kafka/rdkafka_util.h"

namespace outcomes {
namespace {

// Bounds topic creation at startup. A broker without CreateTopics (a
// librdkafka mock cluster lacking the topic) never answers: startup then
// goes on after this long, and the topic is auto-created by the first write.
constexpr absl::Duration kAdminTimeout = absl::Seconds(3);

using rdkafka::HandlePtr;
using rdkafka::Ms;

absl::StatusOr<HandlePtr> NewHandle(rd_kafka_type_t type,
                                    rdkafka::ConfPtr conf) {
  return rdkafka::NewHandle(type, std::move(conf), "alert state topic");
}

class RdKafkaAlertStateStore : public AlertStateStore {
 public:
  RdKafkaAlertStateStore(KafkaProperties properties, std::string topic)
      : properties_(std::move(properties)), topic_(std::move(topic)) {}
  // main() has flushed already, within the shutdown budget (Flush); no
  // second wait here.
  ~RdKafkaAlertStateStore() override = default;

  absl::Status Start() {
    auto conf =
        rdkafka::MakeConf(properties_, {{"client.id", "outcomesd-alert-state"},
                                        {"acks", "all"},
                                        {"enable.idempotence", "true"},
                                        {"linger.ms", "5"}});
    if (!conf.ok()) return conf.status();
    rd_kafka_conf_set_opaque(conf->get(), this);
    rd_kafka_conf_set_dr_msg_cb(conf->get(), &DeliveryCallback);
    auto producer = NewHandle(RD_KAFKA_PRODUCER, *std::move(conf));
    if (!producer.ok()) return producer.status();
    producer_ = *std::move(producer);
    if (absl::Status s = CreateTopic(); !s.ok()) {
      Log(LogLevel::kWarning, "alert state topic not created",
          {{"topic", topic_}, {"error", s.ToString()}});
    }
    return absl::OkStatus();
  }

  void Put(std::string_view key, std::string_view value) override {
    Produce(key, value.data(), value.size());
  }
  void Delete(std::string_view key) override { Produce(key, nullptr, 0); }

  absl::Status Flush(absl::Duration timeout) override {
    const rd_kafka_resp_err_t err =
        rd_kafka_flush(producer_.get(), Ms(timeout));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::DeadlineExceededError(
          absl::StrCat("alert state flush: ", rd_kafka_err2str(err)));
    }
    return absl::OkStatus();
  }

  uint64_t write_failures() override {
    rd_kafka_poll(producer_.get(), 0);  // serve delivery reports
    return failures_.load();
  }

  absl::StatusOr<std::vector<StateTopicRecord>> ReadAll(
      absl::Duration timeout) override;

 private:
  absl::Status CreateTopic();
  void Produce(std::string_view key, const char* value, size_t size);
  static void DeliveryCallback(rd_kafka_t*, const rd_kafka_message_t* m,
                               void* opaque);

  const KafkaProperties properties_;
  const std::string topic_;
  HandlePtr producer_;
  std::atomic<uint64_t> failures_{0};
};

void RdKafkaAlertStateStore::Produce(std::string_view key, const char* value,
                                     size_t size) {
  const rd_kafka_resp_err_t err = rd_kafka_producev(
      producer_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_KEY(key.data(), key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(value), size), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    failures_.fetch_add(1);
    Log(LogLevel::kError, "alert state write failed",
        {{"topic", topic_}, {"error", rd_kafka_err2str(err)}});
  }
  rd_kafka_poll(producer_.get(), 0);
}

void RdKafkaAlertStateStore::DeliveryCallback(rd_kafka_t*,
                                              const rd_kafka_message_t* m,
                                              void* opaque) {
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
  auto* self = static_cast<RdKafkaAlertStateStore*>(opaque);
  self->failures_.fetch_add(1);
  Log(LogLevel::kError, "alert state write failed",
      {{"topic", self->topic_}, {"error", rd_kafka_err2str(m->err)}});
}

absl::Status RdKafkaAlertStateStore::CreateTopic() {
  // Look in the list of all topics first: asking for this topic's metadata
  // could let the broker auto-create it uncompacted, and librdkafka's mock
  // cluster (--kafka.brokers=embedded) has no CreateTopics.
  const rd_kafka_metadata_t* metadata = nullptr;
  if (rd_kafka_metadata(producer_.get(), 1, nullptr, &metadata,
                        Ms(kAdminTimeout)) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    bool exists = false;
    for (int i = 0; i < metadata->topic_cnt; ++i) {
      exists = exists || metadata->topics[i].topic == topic_;
    }
    rd_kafka_metadata_destroy(metadata);
    if (exists) return absl::OkStatus();
  }
  char error[512];
  // Replication factor -1: the broker's default.replication.factor.
  rd_kafka_NewTopic_t* topic =
      rd_kafka_NewTopic_new(topic_.c_str(), 1, -1, error, sizeof(error));
  if (topic == nullptr) return absl::InvalidArgumentError(error);
  rd_kafka_NewTopic_set_config(topic, "cleanup.policy", "compact");
  rd_kafka_queue_t* queue = rd_kafka_queue_new(producer_.get());
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(
      producer_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(options, Ms(kAdminTimeout), error,
                                            sizeof(error));
  rd_kafka_AdminOptions_set_operation_timeout(options, Ms(kAdminTimeout), error,
                                              sizeof(error));
  rd_kafka_CreateTopics(producer_.get(), &topic, 1, options, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, Ms(kAdminTimeout) + 500);
  absl::Status status = absl::DeadlineExceededError("CreateTopics timed out");
  if (event != nullptr) {
    status = absl::OkStatus();
    if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      status = absl::UnavailableError(rd_kafka_event_error_string(event));
    } else if (const rd_kafka_CreateTopics_result_t* result =
                   rd_kafka_event_CreateTopics_result(event)) {
      size_t n = 0;
      const rd_kafka_topic_result_t** topics =
          rd_kafka_CreateTopics_result_topics(result, &n);
      for (size_t i = 0; i < n; ++i) {
        const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(topics[i]);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
          Log(LogLevel::kInfo, "alert state topic created",
              {{"topic", topic_}});
        } else if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
          const char* msg = rd_kafka_topic_result_error_string(topics[i]);
          status = absl::UnavailableError(
              msg != nullptr ? msg : rd_kafka_err2str(err));
        }
      }
    }
    rd_kafka_event_destroy(event);
  }
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(topic);
  return status;
}

absl::StatusOr<std::vector<StateTopicRecord>> RdKafkaAlertStateStore::ReadAll(
    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  // A group.id is needed for the consumer API; the group is never joined
  // (assign, not subscribe) and nothing is committed.
  auto conf = rdkafka::MakeConf(properties_,
                                {{"client.id", "outcomesd-alert-state-reader"},
                                 {"group.id", "outcomesd-alert-state-reader"},
                                 {"enable.auto.commit", "false"},
                                 {"enable.auto.offset.store", "false"},
                                 {"enable.partition.eof", "true"},
                                 {"auto.offset.reset", "earliest"}});
  if (!conf.ok()) return conf.status();
  auto consumer = NewHandle(RD_KAFKA_CONSUMER, *std::move(conf));
  if (!consumer.ok()) return consumer.status();
  rd_kafka_t* rk = consumer->get();
  rd_kafka_poll_set_consumer(rk);

  // Partitions of the topic.
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic_.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk, 0, rkt, &metadata, Ms(deadline - absl::Now()));
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(
        absl::StrCat("alert state topic metadata: ", rd_kafka_err2str(err)));
  }
  std::vector<int32_t> partitions;
  if (metadata->topic_cnt == 1 &&
      metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < metadata->topics[0].partition_cnt; ++i) {
      partitions.push_back(metadata->topics[0].partitions[i].id);
    }
  }
  const rd_kafka_resp_err_t topic_err = metadata->topic_cnt == 1
                                            ? metadata->topics[0].err
                                            : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
  rd_kafka_metadata_destroy(metadata);
  if (partitions.empty()) {
    return absl::UnavailableError(absl::StrCat(
        "alert state topic ", topic_, ": ", rd_kafka_err2str(topic_err)));
  }

  // The end of each partition now: what "to its current end" means.
  rdkafka::TopicPartitionListPtr assignment(
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  std::map<int32_t, int64_t>
      ends;  // partition -> high watermark still to reach
  for (int32_t p : partitions) {
    int64_t low = 0, high = 0;
    err = rd_kafka_query_watermark_offsets(rk, topic_.c_str(), p, &low, &high,
                                           Ms(deadline - absl::Now()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(absl::StrCat(
          "alert state topic watermarks: ", rd_kafka_err2str(err)));
    }
    if (high <= low) continue;
    ends[p] = high;
    rd_kafka_topic_partition_list_add(assignment.get(), topic_.c_str(), p)
        ->offset = low;
  }
  absl::flat_hash_map<std::string, StateTopicRecord> latest;
  if (!ends.empty()) {
    err = rd_kafka_assign(rk, assignment.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(
          absl::StrCat("alert state topic assign: ", rd_kafka_err2str(err)));
    }
  }
  while (!ends.empty()) {
    if (absl::Now() >= deadline) {
      rd_kafka_consumer_close(rk);
      return absl::DeadlineExceededError("alert state topic read timed out");
    }
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m == nullptr) continue;
    const auto end = ends.find(m->partition);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (end != ends.end()) ends.erase(end);
    } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      Log(LogLevel::kWarning, "alert state topic read error",
          {{"topic", topic_}, {"error", rd_kafka_message_errstr(m)}});
    } else if (end != ends.end()) {
      StateTopicRecord r;
      r.key.assign(static_cast<const char*>(m->key), m->key_len);
      if (m->payload != nullptr) {
        r.value.emplace(static_cast<const char*>(m->payload), m->len);
      }
      rd_kafka_timestamp_type_t type;
      const int64_t ts = rd_kafka_message_timestamp(m, &type);
      r.written_at = ts >= 0 ? absl::FromUnixMillis(ts) : absl::InfinitePast();
      std::string key = r.key;
      latest[std::move(key)] = std::move(r);
      if (m->offset + 1 >= end->second) ends.erase(end);
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  std::vector<StateTopicRecord> out;
  out.reserve(latest.size());
  for (auto& [key, r] : latest) out.push_back(std::move(r));
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AlertStateStore>> NewRdKafkaAlertStateStore(
    const std::vector<std::pair<std::string, std::string>>& properties,
    const std::string& topic) {
  auto store = std::make_unique<RdKafkaAlertStateStore>(properties, topic);
  if (absl::Status s = store->Start(); !s.ok()) return s;
  return std::unique_ptr<AlertStateStore>(std::move(store));
}

}  // namespace outcomes
