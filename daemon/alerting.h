// Contract goals judged against the figures, every evaluation: loads and
// reloads rules, drives the alert lifecycle, delivers notifications to
// Alertmanager and the alerts topic, persists alert state, and renders
// /api/v1/alerts and /api/v1/rules.
//
// Which goals are judged (docs/design.md, "State through restarts, rebalances
// and faults"). A provider+program is judged only when its partition is in the
// snapshot, is ready (PartitionFigures::ready) and the shared alert state topic
// has been read since the partition appeared. Otherwise its alerts are parked:
// neither judged nor resolved, nothing notified, and kept for as long as the
// partition is held (AlertScope::kHeld); alerts of providers not held at all
// are parked and forgotten after 15 minutes (kAway). A goal whose figure has
// incomplete history (GoalResult::incomplete) is not judged either: an alert
// already pending or firing for it is parked, not resolved ("no notification
// from missing data"; Alertmanager lets a firing one expire at its endsAt).
//
// Alert state moving with the partition (alert_state_replica.h): when a
// partition appears in a snapshot (assigned at start or by a rebalance), the
// state topic is read from the beginning to its end before any of that
// partition's goals are judged, and the states newer than the local copy are
// installed (AlertLifecycle::Merge), so `for` timers continue from the
// previous owner's pending-since and a firing alert keeps its startsAt and
// last-sent. The read runs on its own thread; until it has finished the
// partition stays parked while the others are judged. If it fails, the
// next evaluation reads again. After every evaluation the lifecycle
// changes are written to the topic; OnPartitionsRevoked writes the final
// state of the revoked partitions' alerts and waits for its delivery.
//
// Metrics (declared here): outcomes_rules_reloads_total{result},
// outcomes_rules_last_reload_success, outcomes_rules_goals,
// outcomes_goal_evaluation_seconds, outcomes_alert_snapshot_failures_total
// {reason=corrupt|unreadable|write}, outcomes_alert_snapshot_writable; the
// state topic's in alert_state_replica.h. The goal and alert series
// (alert_metrics.h) are rendered at scrape time by metrics(), a Collectable
// to scrape next to the registry.
//
// Thread safety: all public methods are thread-safe (OnSnapshot runs on the
// evaluation thread, OnPartitionsRevoked on the consumer thread, Reload on an
// HTTP or signal thread, the JSON renderers on HTTP threads).
// Ownership: borrows the clock, registry, notifier, sink and state store;
// they must outlive this object. notifier, sink and state_store may be null
// (not configured; without a state store partitions count as read).
#ifndef OUTCOMESD_DAEMON_ALERTING_H_
#define OUTCOMESD_DAEMON_ALERTING_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "daemon/alerts/alert_lifecycle.h"
#include "daemon/alerts/alert_metrics.h"
#include "daemon/alerts/alert_sink.h"
#include "daemon/alerts/alert_state_replica.h"
#include "daemon/alerts/alert_state_store.h"
#include "daemon/alerts/alert_text.h"
#include "daemon/alerts/alertmanager_notifier.h"
#include "daemon/alerts/goal_evaluator.h"
#include "daemon/base/clock.h"
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
  // The state topic read runs on its own thread, bounded by
  // state_read_timeout; an evaluation waits at most state_read_wait for it
  // (its partitions stay parked until a later evaluation finds it done).
  // state_flush_timeout bounds the final write at revocation (consumer
  // thread, inside the rebalance). The read is short enough for SIGTERM's
  // 5 s: the destructor waits for a read in progress.
  absl::Duration state_read_timeout = absl::Seconds(4);
  absl::Duration state_read_wait = absl::Seconds(1);
  absl::Duration state_flush_timeout = absl::Seconds(3);
};

class Alerting {
 public:
  // `ready` tells whether the figures are complete (caught up): goals are
  // not judged on partial state, which would resolve firing alerts.
  Alerting(AlertingSettings settings, const Clock& clock,
           prometheus::Registry& registry, AlertmanagerNotifier* notifier,
           AlertSink* sink, std::function<bool()> ready,
           AlertStateStore* state_store = nullptr);
  ~Alerting();  // waits for a state topic read in progress

  // Loads the rules and the saved alert state. An error in the rules is
  // fatal at startup; a saved state that is unreadable or corrupt is not
  // (docs/design.md, "State through restarts, rebalances and faults": never
  // trusted, never a crash): it is counted in
  // outcomes_alert_snapshot_failures_total{reason="corrupt"|"unreadable"},
  // logged, and the alerts start from the state topic alone.
  absl::Status Start();
  // Reloads the rules atomically; on error the old rules stay in force.
  // Then runs every reload hook (each keeps its old config on error), so
  // that SIGHUP and POST /-/reload reload them too. Returns the first
  // error, the rules' first.
  absl::Status Reload();
  // Adds `hook` to what Reload reloads (e.g. --providers.file); not run by
  // Start. Thread-safe; `hook` must be callable from any thread.
  void AddReloadHook(std::function<absl::Status()> hook);

  // The evaluation listener: judges every goal on `snapshot`.
  void OnSnapshot(const StoreSnapshot& snapshot);

  // The consumer's rebalance, before `revoked` are given up: waits for an
  // evaluation in progress, writes the final state of their providers'
  // alerts to the state topic and waits (at most state_flush_timeout) for
  // it to be delivered. From then on their alerts are parked here (not
  // judged, nothing sent or written) even while a snapshot still lists the
  // partitions, until OnPartitionsAssigned gives them back; they are then
  // read from the state topic again before being judged.
  void OnPartitionsRevoked(const std::vector<PartitionId>& revoked);
  // The consumer's rebalance, after `assigned` were assigned (and their
  // state created).
  void OnPartitionsAssigned(const std::vector<PartitionId>& assigned);

  // Saves the alert state (every evaluation and at shutdown). A failure
  // (read-only or full state dir) is counted in
  // outcomes_alert_snapshot_failures_total{reason="write"} and logged when
  // it starts and when it ends, not at every evaluation;
  // outcomes_alert_snapshot_writable is 0 meanwhile.
  void SaveState();

  // Every alert instance (AlertLifecycle::Instances), parked ones included.
  std::vector<AlertInstance> Instances() const {
    return lifecycle_.Instances();
  }
  // The instances that are this process's: all but those parked away
  // (AlertScope::kAway, a provider held elsewhere). /api/v1/alerts and
  // outcomes_alerts show only these, so that the replicas' lists add up to
  // one replica's.
  std::vector<AlertInstance> OwnInstances() const;

  std::string AlertsJson() const;
  std::string RulesJson() const;

  // outcomes_goal_value, outcomes_goal_target and outcomes_alerts of the
  // last evaluation (alert_metrics.h).
  const prometheus::Collectable& metrics() const { return alert_metrics_; }

  // The rules in force, and what goals are judged with (for the brief,
  // which reuses EvaluateGoals).
  std::shared_ptr<const RuleSet> rules() const;
  const EvaluatorSettings& evaluator_settings() const {
    return settings_.evaluator;
  }
  // Whether the daemon's figures may be judged at all (the `ready` passed
  // in: rebuilt and caught up once since the last rebalance).
  bool figures_ready() const { return ready_(); }

 private:
  using ProviderProgram = std::pair<std::string, std::string>;
  // One read of the state topic, for `partitions`, on read_thread_.
  struct StateRead {
    std::vector<PartitionId> partitions;
    bool done = false;                                     // guarded by mu_
    absl::StatusOr<std::vector<SharedAlertState>> result;  // once done
  };
  // Starts a read of the state topic when `snapshot` has partitions not read
  // yet, and installs the result of a read that has finished.
  void ReadSharedState(const StoreSnapshot& snapshot)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(eval_mu_);
  void InstallSharedState(const StoreSnapshot& snapshot, const StateRead& read)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(eval_mu_);
  std::string StatePath() const;
  absl::Status ReloadRules();

  const AlertingSettings settings_;
  const Clock& clock_;
  AlertmanagerNotifier* notifier_;
  AlertSink* sink_;
  std::function<bool()> ready_;
  AlertLifecycle lifecycle_;
  AlertMetrics alert_metrics_;
  std::optional<AlertStateReplica> replica_;
  prometheus::Counter& reload_success_;
  prometheus::Counter& reload_failure_;
  prometheus::Gauge& last_reload_ok_;
  prometheus::Gauge& goals_loaded_;
  prometheus::Gauge& evaluation_seconds_;
  prometheus::Counter& snapshot_corrupt_;
  prometheus::Counter& snapshot_unreadable_;
  prometheus::Counter& snapshot_write_failures_;
  prometheus::Gauge& snapshot_writable_;

  mutable absl::Mutex mu_;
  std::shared_ptr<const RuleSet> rules_ ABSL_GUARDED_BY(mu_);
  std::string last_reload_error_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<absl::Status()>> reload_hooks_ ABSL_GUARDED_BY(mu_);
  bool save_failing_ ABSL_GUARDED_BY(mu_) = false;
  // Serializes OnSnapshot and OnPartitionsRevoked: once revocation
  // returns, no evaluation judges the revoked partitions any more.
  absl::Mutex eval_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  // Partitions whose shared state was read since they appeared.
  absl::flat_hash_set<PartitionId> read_ ABSL_GUARDED_BY(mu_);
  // Partitions revoked and not assigned again since: never read or judged.
  absl::flat_hash_set<PartitionId> revoked_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<StateRead> read_in_flight_ ABSL_GUARDED_BY(mu_);
  std::thread read_thread_ ABSL_GUARDED_BY(eval_mu_);
  ShortfallInputCache shortfall_inputs_ ABSL_GUARDED_BY(eval_mu_);
  // The storage of the results before the last (AlertMetrics::Update),
  // reused by the next evaluation.
  std::vector<GoalResult> spare_results_ ABSL_GUARDED_BY(eval_mu_);
  // The providers of each partition in the last snapshot.
  absl::flat_hash_map<PartitionId, std::vector<ProviderProgram>> providers_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_ALERTING_H_
