// librdkafka implementation of DeadLetterSink.
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "daemon/base/json_log.h"
#include "daemon/kafka/rdkafka_clients.h"
#include "daemon/kafka/rdkafka_util.h"

namespace outcomes {
namespace {

class RdKafkaDeadLetterSink : public DeadLetterSink {
 public:
  // No final flush: a dead letter still queued here has a source offset
  // that was not committed (commits wait for Flush), so the next owner of
  // its partition rejects and sends it again (at-least-once).
  ~RdKafkaDeadLetterSink() override {
    if (rk_ != nullptr) rd_kafka_destroy(rk_);
  }

  absl::Status Start(const KafkaSettings& settings);
  void Send(const KafkaMessage& original, std::string_view reason,
            std::string_view detail) override;
  absl::Status Flush(absl::Duration timeout) override;

 private:
  static void DeliveryCallback(rd_kafka_t*, const rd_kafka_message_t* m,
                               void* opaque);

  std::string topic_;
  rd_kafka_t* rk_ = nullptr;
  std::atomic<int64_t> failures_{0};
};

absl::Status RdKafkaDeadLetterSink::Start(const KafkaSettings& settings) {
  topic_ = settings.dead_letter_topic;
  KafkaProperties base = {{"bootstrap.servers", settings.brokers},
                          {"client.id", "outcomesd-dlq"},
                          {"linger.ms", "5"}};
  base.insert(base.end(), settings.extra.begin(), settings.extra.end());
  // Never give up on a dead letter on our own: only permanent errors fail.
  auto conf = rdkafka::MakeConf(
      base, {{"message.timeout.ms", "0"}, {"enable.idempotence", "true"}});
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_opaque(conf->get(), this);
  rd_kafka_conf_set_dr_msg_cb(conf->get(), &DeliveryCallback);
  char error[512];
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), error, sizeof(error));
  if (rk_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("kafka producer: ", error));
  }
  conf->release();
  return absl::OkStatus();
}

void RdKafkaDeadLetterSink::DeliveryCallback(rd_kafka_t*,
                                             const rd_kafka_message_t* m,
                                             void* opaque) {
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
  auto* self = static_cast<RdKafkaDeadLetterSink*>(opaque);
  self->failures_.fetch_add(1);
  Log(LogLevel::kError, "dead-letter delivery failed",
      {{"topic", self->topic_}, {"error", rd_kafka_err2str(m->err)}});
}

void RdKafkaDeadLetterSink::Send(const KafkaMessage& original,
                                 std::string_view reason,
                                 std::string_view detail) {
  const std::string partition = std::to_string(original.partition);
  const std::string offset = std::to_string(original.offset);
  rd_kafka_resp_err_t err;
  do {
    err = rd_kafka_producev(
        rk_, RD_KAFKA_V_TOPIC(topic_.c_str()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(original.key.data(), original.key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(original.value.data()),
                         original.value.size()),
        RD_KAFKA_V_HEADER("reason", reason.data(), reason.size()),
        RD_KAFKA_V_HEADER("detail", detail.data(), detail.size()),
        RD_KAFKA_V_HEADER("source_topic", original.topic.data(),
                          original.topic.size()),
        RD_KAFKA_V_HEADER("source_partition", partition.data(),
                          partition.size()),
        RD_KAFKA_V_HEADER("source_offset", offset.data(), offset.size()),
        RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(rk_, 100);
  } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
  if (err) {
    failures_.fetch_add(1);
    Log(LogLevel::kError, "dead-letter produce failed",
        {{"topic", topic_}, {"error", rd_kafka_err2str(err)}});
  }
  rd_kafka_poll(rk_, 0);
}

absl::Status RdKafkaDeadLetterSink::Flush(absl::Duration timeout) {
  const rd_kafka_resp_err_t err =
      rd_kafka_flush(rk_, rdkafka::MsUntil(absl::Now() + timeout));
  const int64_t failures = failures_.exchange(0);
  if (failures > 0) {
    return absl::DataLossError(absl::StrCat(
        failures, " rejected messages could not be written to ", topic_));
  }
  if (err) {
    return absl::DeadlineExceededError(
        absl::StrCat("dead-letter flush: ", rd_kafka_err2str(err)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<DeadLetterSink>> NewRdKafkaDeadLetterSink(
    const KafkaSettings& settings) {
  auto sink = std::make_unique<RdKafkaDeadLetterSink>();
  if (absl::Status s = sink->Start(settings); !s.ok()) return s;
  return sink;
}

}  // namespace outcomes
