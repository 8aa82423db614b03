#include "daemon/alerts/alertmanager_notifier.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "daemon/alerts/alert_lifecycle.h"
#include "daemon/base/json.h"
#include "daemon/base/json_log.h"
#include "prometheus/family.h"

namespace outcomes {
namespace {

prometheus::Family<prometheus::Counter>& CounterFamily(
    prometheus::Registry& r, const std::string& name, const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

}  // namespace

std::string RedactedUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t end = url.find_first_of("/?#", start);
  const size_t at =
      url.rfind('@', end == std::string::npos ? std::string::npos : end);
  if (at == std::string::npos || at < start) return url;
  return url.substr(0, start) + url.substr(at + 1);
}

namespace {

std::string GeneratorUrl(const AlertDecoration& d,
                         const std::map<std::string, std::string>& labels) {
  std::string base = d.external_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const auto provider = labels.find("provider");
  // Provider ids are [A-Za-z0-9._:-] (event_decoder.cc): safe in a path.
  return provider == labels.end()
             ? base + "/api/v1/alerts"
             : base + "/api/v1/providers/" + provider->second;
}

}  // namespace

std::string AlertmanagerPayload(const std::vector<AlertNotification>& alerts,
                                absl::Time now, absl::Duration resend_interval,
                                const AlertDecoration& decoration) {
  Json out = Json::array();
  for (const AlertNotification& a : alerts) {
    std::map<std::string, std::string> labels = a.labels;
    labels.insert(decoration.external_labels.begin(),
                  decoration.external_labels.end());  // own labels win
    Json j = Json::object();
    j["labels"] = labels;
    j["annotations"] = *a.annotations;
    j["startsAt"] = FormatRfc3339(a.starts_at);
    j["endsAt"] =
        FormatRfc3339(a.resolved ? a.ends_at : now + 4 * resend_interval);
    if (!decoration.external_url.empty()) {
      j["generatorURL"] = GeneratorUrl(decoration, a.labels);
    }
    out.push_back(std::move(j));
  }
  return DumpJson(out);
}

AlertmanagerNotifier::AlertmanagerNotifier(Options options, HttpPoster& poster,
                                           const Clock& clock,
                                           prometheus::Registry& registry)
    : options_(std::move(options)),
      poster_(poster),
      clock_(clock),
      sends_(CounterFamily(registry, "outcomes_notifier_sends_total",
                           "Notification batches delivered, per Alertmanager")),
      failures_(CounterFamily(registry, "outcomes_notifier_failures_total",
                              "Failed notification attempts (retried), per "
                              "Alertmanager")),
      dropped_(CounterFamily(registry, "outcomes_notifier_dropped_total",
                             "Notification batches given up (queue full or "
                             "too many attempts), per Alertmanager")),
      superseded_(CounterFamily(registry, "outcomes_notifier_superseded_total",
                                "Queued notifications replaced by a newer "
                                "state of the same alert before delivery, "
                                "per Alertmanager")),
      queue_gauge_(prometheus::BuildGauge()
                       .Name("outcomes_notifier_queue_length")
                       .Help("Notification batches waiting, per Alertmanager")
                       .Register(registry)) {
  absl::MutexLock lock(&mu_);
  for (const std::string& url : options_.urls) {
    const std::map<std::string, std::string> labels = {
        {"notifier", "alertmanager"}, {"alertmanager", RedactedUrl(url)}};
    targets_.push_back(
        {url,
         {},
         {&sends_.Add(labels), &failures_.Add(labels), &dropped_.Add(labels),
          &superseded_.Add(labels), &queue_gauge_.Add(labels)}});
  }
}

AlertmanagerNotifier::~AlertmanagerNotifier() { Stop(); }

void AlertmanagerNotifier::Enqueue(
    const std::vector<AlertNotification>& batch) {
  if (batch.empty()) return;
  absl::MutexLock lock(&mu_);
  for (Target& t : targets_) {
    Supersede(t, batch);
    if (t.queue.size() >= options_.max_queue) {
      t.queue.pop_front();
      t.metrics.dropped->Increment();
    }
    t.queue.push_back(Item{next_id_++, batch, 0, absl::InfinitePast()});
    UpdateQueueGauge(t);
  }
  wake_ = true;
}

void AlertmanagerNotifier::Supersede(
    Target& t, const std::vector<AlertNotification>& batch) {
  absl::flat_hash_set<std::string> newer;
  for (const AlertNotification& n : batch) newer.insert(LabelKey(n.labels));
  for (auto item = t.queue.begin(); item != t.queue.end();) {
    const size_t before = item->alerts.size();
    std::erase_if(item->alerts, [&newer](const AlertNotification& n) {
      return newer.contains(LabelKey(n.labels));
    });
    t.metrics.superseded->Increment(
        static_cast<double>(before - item->alerts.size()));
    item = item->alerts.empty() ? t.queue.erase(item) : item + 1;
  }
}

absl::Duration AlertmanagerNotifier::Backoff(int attempts) const {
  absl::Duration d = options_.initial_backoff;
  for (int i = 1; i < attempts && d < options_.max_backoff; ++i) d *= 2;
  return std::min(d, options_.max_backoff);
}

void AlertmanagerNotifier::Finish(size_t t, uint64_t id, bool ok,
                                  absl::Time now) {
  Target& target = targets_[t];
  std::deque<Item>& q = target.queue;
  if (q.empty() || q.front().id != id) return;  // dropped meanwhile
  Item& item = q.front();
  if (ok) {
    target.metrics.sends->Increment();
    q.pop_front();
  } else {
    target.metrics.failures->Increment();
    if (++item.attempts >= options_.max_attempts) {
      target.metrics.dropped->Increment();
      q.pop_front();
    } else {
      item.next_attempt = now + Backoff(item.attempts);
    }
  }
  UpdateQueueGauge(target);
}

absl::Time AlertmanagerNotifier::PumpTarget(size_t t) {
  while (true) {
    std::string url, body;
    uint64_t id = 0;
    const absl::Time now = clock_.Now();
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return absl::InfiniteFuture();
      const std::deque<Item>& q = targets_[t].queue;
      if (q.empty()) return absl::InfiniteFuture();
      if (q.front().next_attempt > now) return q.front().next_attempt;
      url = targets_[t].url;
      id = q.front().id;
      body = AlertmanagerPayload(q.front().alerts, now,
                                 options_.resend_interval, options_.decoration);
    }
    const absl::Status status = poster_.Post(url, "/api/v2/alerts", body);
    if (absl::IsCancelled(status)) {  // by Stop: the batch stays queued
      Log(LogLevel::kInfo, "alertmanager notification abandoned at shutdown",
          {{"alertmanager", RedactedUrl(url)}});
      return absl::InfiniteFuture();
    }
    if (!status.ok()) {
      Log(LogLevel::kWarning, "alertmanager notification failed",
          {{"alertmanager", RedactedUrl(url)},
           {"error", std::string(status.message())}});
    }
    absl::MutexLock lock(&mu_);
    Finish(t, id, status.ok(), now);
  }
}

absl::Time AlertmanagerNotifier::Pump() {
  size_t n = 0;
  {
    absl::MutexLock lock(&mu_);
    n = targets_.size();
    wake_ = false;
  }
  absl::Time next = absl::InfiniteFuture();
  for (size_t t = 0; t < n; ++t) next = std::min(next, PumpTarget(t));
  return next;
}

void AlertmanagerNotifier::Run() {
  while (true) {
    const absl::Time next = Pump();
    absl::MutexLock lock(&mu_);
    if (stop_) return;
    const absl::Duration wait = std::min(next - clock_.Now(), absl::Seconds(1));
    mu_.AwaitWithTimeout(absl::Condition(this, &AlertmanagerNotifier::Woken),
                         wait);
    if (stop_) return;
  }
}

void AlertmanagerNotifier::Start() {
  thread_ = std::thread([this] {
    Run();
    absl::MutexLock lock(&mu_);
    run_returned_ = true;
  });
}

bool AlertmanagerNotifier::AwaitRunReturned(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&run_returned_), timeout);
}

void AlertmanagerNotifier::Stop(absl::Duration grace) {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (!thread_.joinable()) return;
  if (!AwaitRunReturned(grace)) {
    // Again until Run returns: a Cancel can miss a Post that has not
    // reached the network yet (HttpPoster::Cancel).
    do {
      poster_.Cancel();
    } while (!AwaitRunReturned(absl::Milliseconds(20)));
  }
  thread_.join();
}

size_t AlertmanagerNotifier::queue_length() const {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const Target& t : targets_) n += t.queue.size();
  return n;
}

void AlertmanagerNotifier::UpdateQueueGauge(const Target& t) {
  t.metrics.queue_length->Set(static_cast<double>(t.queue.size()));
}

}  // namespace outcomes
