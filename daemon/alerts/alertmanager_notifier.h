// Delivers alert notifications to every Alertmanager (API v2,
// POST {url}/api/v2/alerts), docs/goals.md, "Alerts".
//
// Each URL has its own bounded FIFO of batches, so one Alertmanager being
// down delays no other. The head batch of a URL is retried with exponential
// backoff (initial_backoff, doubling, at most max_backoff) up to
// max_attempts, then dropped; when a queue is full its oldest batch is
// dropped. Firing alerts are re-sent every resend interval by the
// lifecycle, so a dropped batch is repaired by the next resend: nothing
// firing is forgotten. A firing alert's endsAt is computed when it is sent
// (now + 4 x resend_interval), so a late retry never resolves it by
// accident; a resolved alert's endsAt is its resolve time.
//
// Only the newest state of an alert is ever delivered: a queue holds at most
// one notification per alert (label set). Enqueue removes the alert's older
// notification from the batches already queued (a batch left empty is
// removed), so after an outage a queued "firing" of an alert that has since
// resolved is never delivered: only its "resolved" is (no false page). The
// order of the remaining notifications is kept. A POST already in flight
// when a newer notification arrives still completes; the newer one follows.
//
// Stop (docs/design.md, "Shutdown") gives a POST in flight a grace period,
// then cancels it (HttpPoster::Cancel), so a silent Alertmanager cannot
// hold the exit up to the request timeout. What is not delivered by then
// (the cancelled batch and the rest of the queue) is abandoned, not lost:
// the lifecycle marks a notification sent when it hands it over
// (last_sent_at, saved with the alert state in --state.dir and the state
// topic), so after a restart it is sent again at its next resend, at most
// one resend_interval later: a firing alert until it resolves, a resolved
// one during its resolved_retention. Alertmanager keeps a firing alert
// meanwhile (endsAt was 4 x resend_interval ahead at its last delivery).
//
// Metrics (declared here), one series per Alertmanager, labels
// notifier="alertmanager" and alertmanager=<its URL, RedactedUrl>:
//   outcomes_notifier_sends_total, outcomes_notifier_failures_total,
//   outcomes_notifier_dropped_total (batches), outcomes_notifier_queue_length,
//   outcomes_notifier_superseded_total (queued notifications replaced by a
//   newer state of the same alert before delivery).
// So one failing Alertmanager of two is visible; sum without(alertmanager)
// for the daemon's totals.
//
// Thread safety: Enqueue, queue_length and Stop are safe from any thread.
// Pump is called by the notifier's own thread (Start) or, in tests without
// Start, by the test; never concurrently with itself.
#ifndef OUTCOMESD_DAEMON_ALERTS_ALERTMANAGER_NOTIFIER_H_
#define OUTCOMESD_DAEMON_ALERTS_ALERTMANAGER_NOTIFIER_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "daemon/alerts/alert_types.h"
#include "daemon/alerts/http_poster.h"
#include "daemon/base/clock.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace outcomes {

// What every alert sent to Alertmanager carries besides its own labels.
struct AlertDecoration {
  // --web.external_url (e.g. "https://outcomesd.agency.example"): each
  // alert's generatorURL is EXTERNAL/api/v1/providers/PROVIDER (the
  // provider's figures), or EXTERNAL/api/v1/alerts without a provider
  // label. Empty: no generatorURL.
  std::string external_url;
  // --alert.external_labels: added to every alert; an alert's own label of
  // the same name wins (as Prometheus does).
  std::map<std::string, std::string> external_labels;
};

// The Alertmanager v2 JSON body for `alerts` sent at `now`.
std::string AlertmanagerPayload(const std::vector<AlertNotification>& alerts,
                                absl::Time now, absl::Duration resend_interval,
                                const AlertDecoration& decoration);

// `url` without its userinfo (credentials): "http://u:p@am:9093/x" ->
// "http://am:9093/x". Used as the alertmanager label and in logs.
std::string RedactedUrl(const std::string& url);

class AlertmanagerNotifier {
 public:
  struct Options {
    std::vector<std::string> urls;  // --alertmanager.url, e.g. http://am:9093
    absl::Duration resend_interval =
        absl::Minutes(1);    // --alert.resend_interval
    size_t max_queue = 256;  // batches per URL
    absl::Duration initial_backoff = absl::Seconds(1);
    absl::Duration max_backoff = absl::Minutes(1);
    int max_attempts = 10;
    AlertDecoration decoration;  // generatorURL, external labels
  };

  // `poster`, `clock` and `registry` must outlive the notifier.
  AlertmanagerNotifier(Options options, HttpPoster& poster, const Clock& clock,
                       prometheus::Registry& registry);
  ~AlertmanagerNotifier();  // Stop()

  // Queues one batch for every URL. Empty batches are ignored.
  void Enqueue(const std::vector<AlertNotification>& batch);

  // Sends every batch due at clock.Now(), in order per URL; returns when the
  // next retry is due (InfiniteFuture when all queues are empty).
  absl::Time Pump();

  // Starts the sending thread. REQUIRES: called at most once.
  void Start();
  // Stops and joins the thread: a POST in flight may finish within
  // `grace`, then it is cancelled (returns in milliseconds once connected;
  // a connect in progress runs to its timeout). Batches still queued are
  // abandoned. Idempotent; not concurrently with itself.
  void Stop(absl::Duration grace = absl::ZeroDuration());

  size_t queue_length() const;

 private:
  struct Item {
    uint64_t id = 0;
    std::vector<AlertNotification> alerts;
    int attempts = 0;
    absl::Time next_attempt = absl::InfinitePast();
  };
  // The series of one Alertmanager (owned by the registry's families).
  struct TargetMetrics {
    prometheus::Counter* sends = nullptr;
    prometheus::Counter* failures = nullptr;
    prometheus::Counter* dropped = nullptr;
    prometheus::Counter* superseded = nullptr;
    prometheus::Gauge* queue_length = nullptr;
  };
  struct Target {
    std::string url;
    std::deque<Item> queue;
    TargetMetrics metrics;
  };

  // Sends the due head items of target `t`; returns its next due time.
  absl::Time PumpTarget(size_t t);
  void Finish(size_t t, uint64_t id, bool ok, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes from `t`'s queue the notifications of the alerts in `batch`.
  void Supersede(Target& t, const std::vector<AlertNotification>& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Duration Backoff(int attempts) const;
  void Run();
  bool Woken() const ABSL_SHARED_LOCKS_REQUIRED(mu_) { return wake_ || stop_; }
  // True once Run has returned; waits at most `timeout`.
  bool AwaitRunReturned(absl::Duration timeout);
  void UpdateQueueGauge(const Target& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  HttpPoster& poster_;
  const Clock& clock_;
  prometheus::Family<prometheus::Counter>& sends_;
  prometheus::Family<prometheus::Counter>& failures_;
  prometheus::Family<prometheus::Counter>& dropped_;
  prometheus::Family<prometheus::Counter>& superseded_;
  prometheus::Family<prometheus::Gauge>& queue_gauge_;

  mutable absl::Mutex mu_;
  std::vector<Target> targets_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool run_returned_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_ALERTS_ALERTMANAGER_NOTIFIER_H_
