#include "daemon/kafka/rdkafka_util.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "daemon/base/json_log.h"

namespace outcomes::rdkafka {
namespace {

absl::Status Set(rd_kafka_conf_t* conf, const std::string& key,
                 const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error,
                        sizeof(error)) != RD_KAFKA_CONF_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("kafka property ", key, ": ", error));
  }
  return absl::OkStatus();
}

void LogCallback(const rd_kafka_t*, int level, const char* facility,
                 const char* message) {
  const LogLevel ours = level <= 3   ? LogLevel::kError
                        : level <= 4 ? LogLevel::kWarning
                        : level <= 6 ? LogLevel::kInfo
                                     : LogLevel::kDebug;
  Log(ours, "librdkafka", {{"facility", facility}, {"detail", message}});
}

}  // namespace

absl::StatusOr<ConfPtr> MakeConf(const KafkaProperties& base,
                                 const KafkaProperties& overrides) {
  ConfPtr conf(rd_kafka_conf_new());
  for (const auto* props : {&base, &overrides}) {
    for (const auto& [key, value] : *props) {
      if (absl::Status s = Set(conf.get(), key, value); !s.ok()) return s;
    }
  }
  InstallLogger(conf.get());
  return conf;
}

void InstallLogger(rd_kafka_conf_t* conf) {
  rd_kafka_conf_set_log_cb(conf, LogCallback);
}

absl::StatusOr<HandlePtr> NewHandle(rd_kafka_type_t type, ConfPtr conf,
                                    const char* what) {
  char error[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), error, sizeof(error));
  if (rk == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", error));
  }
  conf.release();  // owned by rk now
  return HandlePtr(rk);
}

}  // namespace outcomes::rdkafka
