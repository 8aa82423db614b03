// Alert instances with Prometheus semantics (docs/goals.md, "Alerts"), one per
// label set:
//   inactive -> pending   when the condition holds (Update's input);
//   pending  -> firing    once it has held for `for` (for 0s: at once);
//   pending  -> inactive  as soon as it stops holding (timer restarts);
//   firing   -> resolved  when it has not held for `keep_firing_for`
//                         (counted from the first evaluation it failed);
//   resolved -> inactive  after `resolved_retention` (15m), during which
//                         resolved notifications are re-sent;
//   resolved -> pending   (a new instance) when it holds again.
// Notifications follow Prometheus's Alertmanager rules: a firing alert is
// sent at once and then every resend_interval with endsAt = now + 4 x
// resend_interval; a resolved alert is sent at once and every
// resend_interval while retained, with endsAt = its resolve time.
//
// The state (pending-since, firing-since, last-sent, resolved-at) is
// exported with Snapshot() and restored with Restore(), so a restart neither
// resets `for` timers nor re-sends what was already sent. Merge() installs
// the newer states read from the shared state topic (docs/design.md, "State
// through restarts, rebalances and faults": alert state moves with the
// partition), so a new owner continues each timer.
//
// Thread safety: all methods are safe to call concurrently (one mutex);
// normally the evaluation loop calls Update/TakeDueNotifications and the
// HTTP API calls Instances.
#ifndef OUTCOMESD_DAEMON_ALERTS_ALERT_LIFECYCLE_H_
#define OUTCOMESD_DAEMON_ALERTS_ALERT_LIFECYCLE_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "daemon/alerts/alert_types.h"
#include "daemon/base/clock.h"
#include "outcomes/v1/alert.pb.h"

namespace outcomes {

enum class AlertPhase { kPending, kFiring, kResolved };
const char* AlertPhaseName(
    AlertPhase phase);  // "pending", "firing", "resolved"

// How Update treats an instance whose condition is not in `holding`.
enum class AlertScope {
  // This process judges it: not holding means released (resolved, erased).
  kJudged,
  // This process holds its provider but cannot judge it now (partition not
  // ready, history incomplete, state topic not read yet): parked, kept as is
  // for as long as that lasts, nothing notified.
  kHeld,
  // Its provider is not owned here (partition revoked or never assigned):
  // parked, and forgotten after resolved_retention.
  kAway,
};

// Labels and annotations are shared with the inputs and notifications of
// the instance (alert_types.h): copying an instance copies no string.
struct AlertInstance {
  AlertLabelSet labels;
  AlertAnnotationSet annotations;
  AlertPhase phase = AlertPhase::kPending;
  absl::Time active_at = absl::InfinitePast();  // pending since
  absl::Time fired_at = absl::InfinitePast();   // firing since
  absl::Time keep_firing_since = absl::InfinitePast();
  absl::Time resolved_at = absl::InfinitePast();
  absl::Time last_sent_at = absl::InfinitePast();
  // The last lifecycle change (any of the times above set or cleared):
  // which of two copies of an instance is newer.
  absl::Time updated_at = absl::InfinitePast();
  // Set while this process does not own the instance's provider+program
  // (its partition is revoked, or not rebuilt yet): a parked instance is
  // neither judged nor notified, and is forgotten after the resolved
  // retention if its provider does not come back. Not persisted.
  absl::Time parked_since = absl::InfinitePast();
  // How the last Update treated it (kJudged also when it held). kAway: not
  // this process's alert (its provider is elsewhere, or it was installed
  // from the state topic and not claimed yet): kept only to continue it
  // should the provider come back, and not to be listed or exported as
  // this process's. Not persisted.
  AlertScope scope = AlertScope::kJudged;
  // AlertInput::annotations_id of the annotations held (0: unknown). Not
  // persisted.
  uint64_t annotations_id = 0;
  // The lifecycle update that last held it (not persisted).
  uint64_t held_in = 0;
  double value = 0;
  double target = 0;
  int64_t sample_size = 0;
  std::string window;
  absl::Duration keep_firing_for;
};

// One alert's latest record in the shared state topic: its state, or a
// tombstone (instance empty: it went inactive) written at `tombstone_at`.
struct SharedAlertState {
  std::string key;  // LabelKey of the labels
  std::optional<AlertInstance> instance;
  absl::Time tombstone_at = absl::InfinitePast();
};

class AlertLifecycle {
 public:
  struct Options {
    absl::Duration resend_interval = absl::Minutes(1);
    absl::Duration resolved_retention = absl::Minutes(15);
  };
  // `clock` must outlive the lifecycle.
  AlertLifecycle(Options options, const Clock& clock);

  // Applies one evaluation at clock.Now(): `holding` lists the instances
  // whose condition holds now (ShortfallInputs); every other instance is
  // treated as not holding. Label sets in `holding` must be distinct.
  void Update(const std::vector<AlertInput>& holding);
  // Like Update, but instances for which `owned(labels)` is false are parked
  // instead of being released: judging them on figures this process does
  // not hold would resolve alerts that still hold (rebalances).
  void Update(const std::vector<AlertInput>& holding,
              const std::function<bool(const AlertLabels&)>& owned);
  // The general form: `scope(labels)` says how an instance not holding is
  // treated (owned == true is kJudged, false is kAway).
  void UpdateScoped(const std::vector<AlertInput>& holding,
                    const std::function<AlertScope(const AlertLabels&)>& scope);
  // The same, with the inputs by pointer (ShortfallInputCache).
  void UpdateScopedInputs(
      const std::vector<const AlertInput*>& holding,
      const std::function<AlertScope(const AlertLabels&)>& scope);

  // Notifications due at clock.Now(), marked as sent (last_sent_at = now).
  std::vector<AlertNotification> TakeDueNotifications();

  // All current instances (pending, firing, resolved within retention),
  // sorted by labels.
  std::vector<AlertInstance> Instances() const;
  // Calls f(const AlertInstance&) for every current instance, in no
  // particular order, holding the lifecycle's lock: f must not call the
  // lifecycle. For readers that need no copy (metrics at scrape time).
  template <typename F>
  void ForEachInstance(F&& f) const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    for (const auto& [key, a] : instances_) f(a);
  }

  // Drops instances without notifying (e.g. the partition holding their
  // provider was revoked: its new owner restores them from the snapshot).
  void Drop(const std::function<bool(const AlertInstance&)>& predicate);

  // Installs the shared states that are newer than this process's copy:
  // a state replaces an instance with an older updated_at (or is added); a
  // tombstone newer than the instance's updated_at erases it. An added
  // instance is parked until an Update judges it. Instances for which
  // `keep_local(labels)` is true are left alone (this process judges them
  // now: its copy is the newest). An instance the topic has no record of
  // is kept (e.g. a topic newer than the local state file). Returns how
  // many instances changed.
  int Merge(const std::vector<SharedAlertState>& states,
            const std::function<bool(const AlertLabels&)>& keep_local);

  v1::AlertStateSnapshot Snapshot() const;
  // Adds the snapshot's instances (replacing instances with the same labels).
  // InvalidArgument on an unknown version or state.
  absl::Status Restore(const v1::AlertStateSnapshot& snapshot);

 private:
  void Hold(const std::string& key, const AlertInput& input, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // False when the instance is to be erased.
  bool Release(AlertInstance& instance, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Due(const AlertInstance& instance, absl::Time now) const;

  const Options options_;
  const Clock& clock_;
  mutable absl::Mutex mu_;
  // Canonical label key -> instance.
  absl::flat_hash_map<std::string, AlertInstance> instances_
      ABSL_GUARDED_BY(mu_);
  uint64_t updates_ ABSL_GUARDED_BY(mu_) = 0;  // UpdateScoped calls
};

// Canonical key of a label set: name="value" pairs, sorted, comma-joined.
std::string LabelKey(const AlertLabels& labels);

// The persisted form of one instance (snapshot file, state topic), and
// back. FromProto: InvalidArgument on an unknown state or no labels; an
// updated_at of 0 (written before it existed) is derived from the other
// times.
v1::AlertInstanceState InstanceToProto(const AlertInstance& instance);
absl::StatusOr<AlertInstance> InstanceFromProto(
    const v1::AlertInstanceState& state);

// The snapshot file: magic "OALS", file format version (2), CRC-32 of the
// payload and its length, then the serialized snapshot. A file without the
// magic is read as a bare serialized snapshot (earlier releases). Decode:
// DataLoss when the checksum, length or version is wrong or it does not
// parse.
std::string EncodeAlertSnapshotFile(const v1::AlertStateSnapshot& snapshot);
absl::StatusOr<v1::AlertStateSnapshot> DecodeAlertSnapshotFile(
    std::string_view data);

// Writes `snapshot` to `path` atomically (temporary file, fsync, rename).
// Unavailable when it cannot be written (read-only or full state dir).
absl::Status SaveAlertSnapshot(const v1::AlertStateSnapshot& snapshot,
                               const std::string& path);
// NotFound when `path` does not exist; Unavailable when it cannot be read;
// DataLoss when it is corrupt (DecodeAlertSnapshotFile).
absl::StatusOr<v1::AlertStateSnapshot> LoadAlertSnapshot(
    const std::string& path);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_ALERTS_ALERT_LIFECYCLE_H_
