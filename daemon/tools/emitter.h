// Turns simulated events into ServiceEvent messages, numbers them
// (event_id "sim-<seed>-<n>", n from 1 in emission order) and hands the same
// sequence to every configured sink.
#ifndef OUTCOMESD_DAEMON_TOOLS_EMITTER_H_
#define OUTCOMESD_DAEMON_TOOLS_EMITTER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "daemon/tools/simulation.h"
#include "daemon/tools/sinks.h"
#include "outcomes/v1/event.pb.h"

namespace outcomes::tools {

enum class KafkaFormat { kBinary, kJson };

class Emitter {
 public:
  // Either sink may be null.
  Emitter(const Simulation* sim, uint64_t seed,
          std::unique_ptr<KafkaSink> kafka, KafkaFormat format,
          std::unique_ptr<LineFileSink> file);

  // Emits `event` with occurred_at = occurred_ms.
  absl::Status Emit(const SimEvent& event, int64_t occurred_ms);
  // Serves Kafka delivery reports; cheap, call while idle.
  void Poll();
  // Flushes and closes every sink; error if anything was lost.
  absl::Status Finish();

  int64_t emitted() const { return emitted_; }
  // "events=N referral=.. enrollment=.. ..." for the final log line.
  std::string Summary() const;

 private:
  absl::Status WriteJson();

  const Simulation* sim_;
  uint64_t seed_;
  std::unique_ptr<KafkaSink> kafka_;
  KafkaFormat format_;
  std::unique_ptr<LineFileSink> file_;
  outcomes::v1::ServiceEvent message_;
  std::string event_id_;
  std::string binary_;
  std::string json_;
  int64_t emitted_ = 0;
  std::array<int64_t, v1::EventType_ARRAYSIZE> per_type_{};
};

}  // namespace outcomes::tools

#endif  // OUTCOMESD_DAEMON_TOOLS_EMITTER_H_
