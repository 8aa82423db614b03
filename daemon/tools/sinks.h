// Where outcomes-simulate writes events: a Kafka topic and/or a file of
// JSON lines. Neither class is thread-safe; use each from one thread.
#ifndef OUTCOMESD_DAEMON_TOOLS_SINKS_H_
#define OUTCOMESD_DAEMON_TOOLS_SINKS_H_

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace outcomes::tools {

// A librdkafka producer tuned for throughput (linger 5 ms, large batches and
// queue). Delivery failures are counted and reported by Flush().
class KafkaSink {
 public:
  static absl::StatusOr<std::unique_ptr<KafkaSink>> Create(
      const std::string& brokers, const std::string& topic);
  ~KafkaSink();
  KafkaSink(const KafkaSink&) = delete;
  KafkaSink& operator=(const KafkaSink&) = delete;

  // Enqueues one message (value copied); waits while the local queue is full.
  absl::Status Send(absl::string_view key, absl::string_view value);
  // Serves delivery reports without blocking.
  void Poll();
  // Waits for every queued message; error if any delivery failed or the
  // queue did not drain in time.
  absl::Status Flush(absl::Duration timeout);

  int64_t delivered() const { return delivered_; }

 private:
  KafkaSink() = default;
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* msg,
                         void* opaque);

  rd_kafka_t* rk_ = nullptr;
  rd_kafka_topic_t* rkt_ = nullptr;
  int64_t delivered_ = 0;
  int64_t failed_ = 0;
  std::string first_error_;
};

// Writes one line per event to a file ("-" = stdout).
class LineFileSink {
 public:
  static absl::StatusOr<std::unique_ptr<LineFileSink>> Create(
      const std::string& path);
  ~LineFileSink();
  LineFileSink(const LineFileSink&) = delete;
  LineFileSink& operator=(const LineFileSink&) = delete;

  absl::Status Write(absl::string_view line);
  absl::Status Close();

 private:
  LineFileSink() = default;

  std::string path_;
  FILE* file_ = nullptr;
};

}  // namespace outcomes::tools

#endif  // OUTCOMESD_DAEMON_TOOLS_SINKS_H_
