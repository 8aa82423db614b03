// Keeps the shared alert state topic (alert_state_store.h) in step with the
// alert lifecycle, and reads it back (docs/design.md, "State through restarts,
// rebalances and faults": alert state moves with the partition).
//
// Written (asynchronously, never waiting for the broker) on every
// lifecycle change of an instance this process judges: inactive -> pending,
// pending -> firing, keep_firing_for started or cleared, firing ->
// resolved, a notification sent (last-sent), and resolved or pending ->
// inactive as a tombstone. Parked instances are not written: their owner
// writes them. An instance forgotten while parked (its provider moved to
// another process) is not tombstoned: the new owner has it.
//
// Record: key LabelKey(labels); value v1::AlertStateRecord{version 1,
// instance}. Reading skips, and counts, records of another version and
// records that do not parse: never a crash.
//
// Metrics (declared here):
//   outcomes_alert_state_writes_total            records and tombstones queued
//   outcomes_alert_state_write_failures_total    deliveries that failed
//   outcomes_alert_state_reads_total{result}     topic reads, success|failure
//   outcomes_alert_state_records_ignored_total{reason}
//                                                unknown_version|corrupt
//
// Thread safety: all methods are thread-safe (Sync on the evaluation
// thread, WriteFinal on the consumer's rebalance, Read on either).
// Ownership: borrows the store and registry; they must outlive this object.
#ifndef OUTCOMESD_DAEMON_ALERTS_ALERT_STATE_REPLICA_H_
#define OUTCOMESD_DAEMON_ALERTS_ALERT_STATE_REPLICA_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "daemon/alerts/alert_lifecycle.h"
#include "daemon/alerts/alert_state_store.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace outcomes {

class AlertStateReplica {
 public:
  AlertStateReplica(AlertStateStore& store, prometheus::Registry& registry);

  // Writes what changed since the last Sync among `instances` (all the
  // lifecycle's instances): a record for every instance with scope kJudged
  // whose phase or lifecycle times changed, a tombstone for every instance
  // that was judged here at its last write and is gone now.
  void Sync(const std::vector<AlertInstance>& instances,
            const std::function<AlertScope(const AlertLabels&)>& scope);

  // Writes `instances` again (the final state of partitions being revoked)
  // and waits up to `timeout` until everything queued is delivered.
  absl::Status WriteFinal(const std::vector<AlertInstance>& instances,
                          absl::Duration timeout);

  // Reads the whole topic (AlertStateStore::ReadAll): the latest shared
  // state of every alert.
  absl::StatusOr<std::vector<SharedAlertState>> Read(absl::Duration timeout);

 private:
  struct Written {
    AlertLabels labels;
    std::string fingerprint;  // phase and lifecycle times
  };
  void Put(const AlertInstance& instance) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CountFailures() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  AlertStateStore& store_;
  prometheus::Counter& writes_;
  prometheus::Counter& write_failures_;
  prometheus::Counter& reads_ok_;
  prometheus::Counter& reads_failed_;
  prometheus::Counter& ignored_version_;
  prometheus::Counter& ignored_corrupt_;

  absl::Mutex mu_;
  // LabelKey -> what was last written for it.
  absl::flat_hash_map<std::string, Written> written_ ABSL_GUARDED_BY(mu_);
  uint64_t failures_seen_ ABSL_GUARDED_BY(mu_) = 0;
};

// Encodes one instance as a state topic value (v1::AlertStateRecord).
std::string EncodeAlertStateRecord(const AlertInstance& instance);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_ALERTS_ALERT_STATE_REPLICA_H_
