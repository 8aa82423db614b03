// Downstream copies of alert notifications (docs/goals.md, "Alerts": the
// outcomes.alerts Kafka topic, protobuf v1::ShortfallAlert keyed by
// provider). The librdkafka implementation is in kafka_alert_sink.cc.
//
// Thread safety: Publish and Flush from one thread (the evaluation loop).
#ifndef OUTCOMESD_DAEMON_ALERTS_ALERT_SINK_H_
#define OUTCOMESD_DAEMON_ALERTS_ALERT_SINK_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "daemon/alerts/alert_types.h"
#include "outcomes/v1/alert.pb.h"

namespace outcomes {

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  // Queues one message per notification; delivery is asynchronous (errors
  // are logged and counted by the implementation).
  virtual void Publish(const std::vector<AlertNotification>& alerts) = 0;
  // Waits until everything published is delivered or `timeout` passed.
  virtual absl::Status Flush(absl::Duration timeout) = 0;
};

// The message written for `n` (no client key can be in it: notifications
// carry only labels, annotations and figures).
v1::ShortfallAlert ToShortfallAlert(const AlertNotification& n);

// librdkafka producer to `topic` (e.g. "outcomes.alerts"). `properties` are
// librdkafka key=value pairs (bootstrap.servers, TLS, SASL, ...).
absl::StatusOr<std::unique_ptr<AlertSink>> NewKafkaAlertSink(
    const std::vector<std::pair<std::string, std::string>>& properties,
    const std::string& topic);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_ALERTS_ALERT_SINK_H_
