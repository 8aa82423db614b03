// librdkafka implementation of AlertSink: v1::ShortfallAlert messages keyed
// by provider.
#include <librdkafka/rdkafka.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "daemon/alerts/alert_sink.h"
#include "daemon/base/json_log.h"
#include "daemon/kafka/rdkafka_util.h"

namespace outcomes {
namespace {

class KafkaAlertSink : public AlertSink {
 public:
  explicit KafkaAlertSink(std::string topic) : topic_(std::move(topic)) {}
  // main() flushes within the shutdown budget (Flush); a destructor that
  // waited again would hold the exit while no broker answers.
  ~KafkaAlertSink() override {
    if (rk_ != nullptr) rd_kafka_destroy(rk_);
  }

  absl::Status Start(const KafkaProperties& properties) {
    KafkaProperties base = {{"client.id", "outcomesd-alerts"},
                            {"linger.ms", "5"}};
    auto conf = rdkafka::MakeConf(base, properties);
    if (!conf.ok()) return conf.status();
    rdkafka::InstallLogger(conf->get());
    rd_kafka_conf_set_opaque(conf->get(), this);
    rd_kafka_conf_set_dr_msg_cb(conf->get(), &DeliveryCallback);
    char error[512];
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), error, sizeof(error));
    if (rk_ == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("kafka alert producer: ", error));
    }
    conf.value().release();
    return absl::OkStatus();
  }

  void Publish(const std::vector<AlertNotification>& alerts) override {
    for (const AlertNotification& n : alerts) {
      const std::string value = ToShortfallAlert(n).SerializeAsString();
      auto it = n.labels.find("provider");
      const std::string key = it == n.labels.end() ? "" : it->second;
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          rk_, RD_KAFKA_V_TOPIC(topic_.c_str()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(key.data(), key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
          RD_KAFKA_V_END);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        Log(LogLevel::kError, "alert produce failed",
            {{"topic", topic_}, {"error", rd_kafka_err2str(err)}});
      }
    }
    rd_kafka_poll(rk_, 0);
  }

  absl::Status Flush(absl::Duration timeout) override {
    const rd_kafka_resp_err_t err =
        rd_kafka_flush(rk_, rdkafka::MsUntil(absl::Now() + timeout));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::DeadlineExceededError(
          absl::StrCat("alert flush: ", rd_kafka_err2str(err)));
    }
    if (failures_.exchange(0) > 0) {
      return absl::UnavailableError("some alert messages were not delivered");
    }
    return absl::OkStatus();
  }

 private:
  static void DeliveryCallback(rd_kafka_t*, const rd_kafka_message_t* m,
                               void* opaque) {
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    auto* self = static_cast<KafkaAlertSink*>(opaque);
    self->failures_.fetch_add(1);
    Log(LogLevel::kError, "alert delivery failed",
        {{"topic", self->topic_}, {"error", rd_kafka_err2str(m->err)}});
  }

  const std::string topic_;
  rd_kafka_t* rk_ = nullptr;
  std::atomic<int64_t> failures_{0};
};

}  // namespace

absl::StatusOr<std::unique_ptr<AlertSink>> NewKafkaAlertSink(
    const std::vector<std::pair<std::string, std::string>>& properties,
    const std::string& topic) {
  auto sink = std::make_unique<KafkaAlertSink>(topic);
  if (absl::Status s = sink->Start(properties); !s.ok()) return s;
  return std::unique_ptr<AlertSink>(std::move(sink));
}

}  // namespace outcomes
