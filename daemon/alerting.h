// Contract goals judged against the figures, every evaluation: loads and
// reloads rules, drives the alert lifecycle, delivers notifications to
// Alertmanager and the alerts topic, persists alert state, and renders
// /api/v1/alerts and /api/v1/rules.
//
// Thread safety: all public methods are thread-safe (OnSnapshot runs on the
// evaluation thread, Reload on an HTTP or signal thread, the JSON renderers
// on HTTP threads).
// Ownership: borrows the clock, registry, notifier and sink; they must
// outlive this object. notifier and sink may be null (not configured).
#ifndef OUTCOMESD_DAEMON_ALERTING_H_
#define OUTCOMESD_DAEMON_ALERTING_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "daemon/alerts/alert_lifecycle.h"
#include "daemon/alerts/alert_metrics.h"
#include "daemon/alerts/alert_sink.h"
#include "daemon/alerts/alertmanager_notifier.h"
#include "daemon/alerts/goal_evaluator.h"
#include "daemon/clock.h"
#include "daemon/rules/rules_loader.h"
#include "daemon/state/state_store.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace outcomes {

struct AlertingSettings {
  std::vector<std::string> rule_paths;  // --rules; empty = no goals
  RuleSettings rules;
  EvaluatorSettings evaluator;
  absl::Duration resend_interval = absl::Minutes(1);
  std::string state_dir;  // alert state is saved here when not empty
};

class Alerting {
 public:
  // `ready` tells whether the figures are complete (caught up): goals are
  // not judged on partial state, which would resolve firing alerts.
  Alerting(AlertingSettings settings, const Clock& clock,
           prometheus::Registry& registry, AlertmanagerNotifier* notifier,
           AlertSink* sink, std::function<bool()> ready);

  // Loads the rules and the saved alert state. An error is fatal at startup.
  absl::Status Start();
  // Reloads the rules atomically; on error the old rules stay in force.
  absl::Status Reload();

  // The evaluation listener: judges every goal on `snapshot`.
  void OnSnapshot(const StoreSnapshot& snapshot);

  // Saves the alert state (at shutdown).
  void SaveState();

  std::string AlertsJson() const;
  std::string RulesJson() const;

 private:
  std::string StatePath() const;
  std::shared_ptr<const RuleSet> rules() const;

  const AlertingSettings settings_;
  const Clock& clock_;
  AlertmanagerNotifier* notifier_;
  AlertSink* sink_;
  std::function<bool()> ready_;
  AlertLifecycle lifecycle_;
  AlertMetrics alert_metrics_;
  prometheus::Counter& reload_success_;
  prometheus::Counter& reload_failure_;
  prometheus::Gauge& last_reload_ok_;
  prometheus::Gauge& goals_loaded_;
  prometheus::Gauge& evaluation_seconds_;

  mutable absl::Mutex mu_;
  std::shared_ptr<const RuleSet> rules_ ABSL_GUARDED_BY(mu_);
  std::string last_reload_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_ALERTING_H_
