// Values passed between the goal evaluator, the alert lifecycle and the
// notifiers. Plain data; no client key ever appears in them.
#ifndef OUTCOMESD_DAEMON_ALERTS_ALERT_TYPES_H_
#define OUTCOMESD_DAEMON_ALERTS_ALERT_TYPES_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/time/time.h"

namespace outcomes {

// Sorted, so that a label set has one canonical key.
using AlertLabels = std::map<std::string, std::string>;
using AlertAnnotations = std::map<std::string, std::string>;

// One alert instance whose condition holds in this evaluation.
struct AlertInput {
  AlertLabels labels;  // identity of the instance
  // LabelKey(labels) (alert_lifecycle.h), or empty: then the lifecycle
  // computes it.
  std::string key;
  // Non-zero: names these annotations (a process-wide counter of
  // ShortfallInputCache): an instance holding the same number holds the
  // same annotations, which are then neither compared nor copied.
  uint64_t annotations_id = 0;
  AlertAnnotations annotations;
  double value = 0;
  double target = 0;
  int64_t sample_size = 0;
  std::string window;  // "30d" or ""
  absl::Duration for_duration;
  absl::Duration keep_firing_for;
};

// One notification to send (Alertmanager, Kafka).
struct AlertNotification {
  AlertLabels labels;
  AlertAnnotations annotations;
  bool resolved = false;
  absl::Time starts_at;  // when it started firing
  // Firing: now + 4 x resend interval; resolved: the resolve time.
  absl::Time ends_at;
  double value = 0;
  double target = 0;
  int64_t sample_size = 0;
  std::string window;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_ALERTS_ALERT_TYPES_H_
