#include "daemon/tools/sinks.h"

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace outcomes::tools {
namespace {

absl::Status SetConfig(rd_kafka_conf_t* conf, const char* key,
                       const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof(err)) !=
      RD_KAFKA_CONF_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("kafka config ", key, ": ", err));
  }
  return absl::OkStatus();
}

absl::StatusOr<rd_kafka_conf_t*> ProducerConfig(const std::string& brokers) {
  const std::vector<std::pair<const char*, std::string>> settings = {
      {"bootstrap.servers", brokers},
      {"linger.ms", "5"},
      {"batch.num.messages", "100000"},
      {"batch.size", "4000000"},
      {"message.max.bytes", "4000000"},
      {"queue.buffering.max.messages", "2000000"},
      {"queue.buffering.max.kbytes", "1048576"},
      {"compression.codec", "none"},
      // Fail undeliverable messages well within Flush()'s timeout.
      {"message.timeout.ms", "30000"},
  };
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [key, value] : settings) {
    if (absl::Status s = SetConfig(conf, key, value); !s.ok()) {
      rd_kafka_conf_destroy(conf);
      return s;
    }
  }
  return conf;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KafkaSink>> KafkaSink::Create(
    const std::string& brokers, const std::string& topic) {
  absl::StatusOr<rd_kafka_conf_t*> conf = ProducerConfig(brokers);
  if (!conf.ok()) return conf.status();
  std::unique_ptr<KafkaSink> sink(new KafkaSink());
  rd_kafka_conf_set_dr_msg_cb(*conf, &KafkaSink::OnDelivery);
  rd_kafka_conf_set_opaque(*conf, sink.get());
  char err[512];
  sink->rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, *conf, err, sizeof(err));
  if (sink->rk_ == nullptr) {
    rd_kafka_conf_destroy(*conf);
    return absl::InternalError(absl::StrCat("rd_kafka_new: ", err));
  }
  sink->rkt_ = rd_kafka_topic_new(sink->rk_, topic.c_str(), nullptr);
  if (sink->rkt_ == nullptr) {
    return absl::InternalError(
        absl::StrCat("rd_kafka_topic_new(", topic,
                     "): ", rd_kafka_err2str(rd_kafka_last_error())));
  }
  return sink;
}

KafkaSink::~KafkaSink() {
  if (rkt_ != nullptr) rd_kafka_topic_destroy(rkt_);
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

void KafkaSink::OnDelivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* msg,
                           void* opaque) {
  auto* self = static_cast<KafkaSink*>(opaque);
  if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++self->delivered_;
    return;
  }
  if (self->failed_++ == 0) self->first_error_ = rd_kafka_err2str(msg->err);
}

absl::Status KafkaSink::Send(absl::string_view key, absl::string_view value) {
  while (true) {
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_, RD_KAFKA_V_RKT(rkt_),
        RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      return absl::UnavailableError(
          absl::StrCat("produce: ", rd_kafka_err2str(err)));
    }
    rd_kafka_poll(rk_, 50);  // local queue full: let deliveries drain
  }
}

void KafkaSink::Poll() { rd_kafka_poll(rk_, 0); }

absl::Status KafkaSink::Flush(absl::Duration timeout) {
  const rd_kafka_resp_err_t err =
      rd_kafka_flush(rk_, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::DeadlineExceededError(
        absl::StrCat("flush: ", rd_kafka_outq_len(rk_),
                     " messages still queued: ", rd_kafka_err2str(err)));
  }
  if (failed_ > 0) {
    return absl::UnavailableError(absl::StrCat(
        failed_, " messages failed delivery; first error: ", first_error_));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LineFileSink>> LineFileSink::Create(
    const std::string& path) {
  std::unique_ptr<LineFileSink> sink(new LineFileSink());
  sink->path_ = path;
  sink->file_ = path == "-" ? stdout : std::fopen(path.c_str(), "w");
  if (sink->file_ == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  return sink;
}

LineFileSink::~LineFileSink() { Close().IgnoreError(); }

absl::Status LineFileSink::Write(absl::string_view line) {
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() ||
      std::fputc('\n', file_) == EOF) {
    return absl::DataLossError(
        absl::StrCat("write ", path_, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status LineFileSink::Close() {
  if (file_ == nullptr) return absl::OkStatus();
  FILE* f = std::exchange(file_, nullptr);
  const bool failed = f == stdout ? std::fflush(f) != 0 : std::fclose(f) != 0;
  if (failed) {
    return absl::DataLossError(
        absl::StrCat("close ", path_, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace outcomes::tools
