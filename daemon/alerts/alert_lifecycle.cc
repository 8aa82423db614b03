#include "daemon/alerts/alert_lifecycle.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace outcomes {

const char* AlertPhaseName(AlertPhase phase) {
  switch (phase) {
    case AlertPhase::kPending:
      return "pending";
    case AlertPhase::kFiring:
      return "firing";
    case AlertPhase::kResolved:
      return "resolved";
  }
  return "unknown";
}

namespace {

// Sorts `items` by labels_of(item), through their order keys (computed
// once per label set).
template <typename T, typename F>
std::vector<T> SortedByLabels(std::vector<T> items, F labels_of) {
  std::vector<std::pair<const std::string*, size_t>> keys;
  keys.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    keys.emplace_back(&labels_of(items[i]).order_key(), i);
  }
  std::sort(keys.begin(), keys.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
  std::vector<T> out;
  out.reserve(items.size());
  for (const auto& [key, i] : keys) out.push_back(std::move(items[i]));
  return out;
}

}  // namespace

std::string LabelKey(const AlertLabels& labels) {
  std::string key;
  for (const auto& [name, value] : labels) {
    if (!key.empty()) key += ',';
    absl::StrAppend(&key, name, "=\"", value, "\"");
  }
  return key;
}

AlertLifecycle::AlertLifecycle(Options options, const Clock& clock)
    : options_(options), clock_(clock) {}

void AlertLifecycle::Hold(const std::string& key, const AlertInput& in,
                          absl::Time now) {
  AlertInstance& a = instances_[key];
  if (a.labels.empty() || a.phase == AlertPhase::kResolved) {
    a = AlertInstance{};
    a.labels = in.labels;
    a.active_at = now;
    a.updated_at = now;
  }
  a.held_in = updates_;
  if (in.annotations_id == 0 || in.annotations_id != a.annotations_id) {
    if (!a.annotations.SharesWith(in.annotations)) {
      a.annotations = in.annotations;
    }
    a.annotations_id = in.annotations_id;
  }
  a.value = in.value;
  a.target = in.target;
  a.sample_size = in.sample_size;
  a.window = in.window;
  a.keep_firing_for = in.keep_firing_for;
  if (a.keep_firing_since != absl::InfinitePast()) {
    a.keep_firing_since = absl::InfinitePast();
    a.updated_at = now;
  }
  a.parked_since = absl::InfinitePast();
  if (a.phase == AlertPhase::kPending && now - a.active_at >= in.for_duration) {
    a.phase = AlertPhase::kFiring;
    a.fired_at = now;
    a.updated_at = now;
  }
}

bool AlertLifecycle::Release(AlertInstance& a, absl::Time now) {
  switch (a.phase) {
    case AlertPhase::kPending:
      return false;
    case AlertPhase::kFiring:
      if (a.keep_firing_for > absl::ZeroDuration()) {
        if (a.keep_firing_since == absl::InfinitePast()) {
          a.keep_firing_since = now;
          a.updated_at = now;
        }
        if (now - a.keep_firing_since < a.keep_firing_for) return true;
      }
      a.phase = AlertPhase::kResolved;
      a.resolved_at = now;
      a.updated_at = now;
      return true;
    case AlertPhase::kResolved:
      return now - a.resolved_at < options_.resolved_retention;
  }
  return false;
}

void AlertLifecycle::Update(const std::vector<AlertInput>& holding) {
  Update(holding, [](const AlertLabels&) { return true; });
}

void AlertLifecycle::Update(
    const std::vector<AlertInput>& holding,
    const std::function<bool(const AlertLabels&)>& owned) {
  UpdateScoped(holding, [&owned](const AlertLabels& labels) {
    return owned(labels) ? AlertScope::kJudged : AlertScope::kAway;
  });
}

void AlertLifecycle::UpdateScoped(
    const std::vector<AlertInput>& holding,
    const std::function<AlertScope(const AlertLabels&)>& scope) {
  std::vector<const AlertInput*> inputs;
  inputs.reserve(holding.size());
  for (const AlertInput& in : holding) inputs.push_back(&in);
  UpdateScopedInputs(inputs, scope);
}

void AlertLifecycle::UpdateScopedInputs(
    const std::vector<const AlertInput*>& holding,
    const std::function<AlertScope(const AlertLabels&)>& scope) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  ++updates_;  // Hold stamps the instances that hold with it
  for (const AlertInput* input : holding) {
    const AlertInput& in = *input;
    if (in.key.empty()) {
      Hold(LabelKey(in.labels), in, now);
    } else {
      Hold(in.key, in, now);
    }
  }
  for (auto it = instances_.begin(); it != instances_.end();) {
    AlertInstance& a = it->second;
    bool keep = true;
    a.scope = AlertScope::kJudged;
    if (a.held_in == updates_) {
      // judged above
    } else if (const AlertScope sc = scope(a.labels);
               sc != AlertScope::kJudged) {
      a.scope = sc;
      if (a.parked_since == absl::InfinitePast()) a.parked_since = now;
      keep = sc == AlertScope::kHeld ||
             now - a.parked_since < options_.resolved_retention;
    } else {
      a.parked_since = absl::InfinitePast();
      keep = Release(a, now);
    }
    if (keep) {
      ++it;
    } else {
      instances_.erase(it++);
    }
  }
}

bool AlertLifecycle::Due(const AlertInstance& a, absl::Time now) const {
  if (a.phase == AlertPhase::kPending) return false;
  if (a.parked_since != absl::InfinitePast()) return false;
  if (a.phase == AlertPhase::kResolved && a.resolved_at > a.last_sent_at) {
    return true;
  }
  if (a.phase == AlertPhase::kFiring && a.fired_at > a.last_sent_at)
    return true;
  return now - a.last_sent_at >= options_.resend_interval;
}

std::vector<AlertNotification> AlertLifecycle::TakeDueNotifications() {
  const absl::Time now = clock_.Now();
  std::vector<AlertNotification> out;
  absl::MutexLock lock(&mu_);
  for (auto& [key, a] : instances_) {
    if (!Due(a, now)) continue;
    a.last_sent_at = now;
    a.updated_at = now;
    AlertNotification n;
    n.labels = a.labels;
    n.annotations = a.annotations;
    n.resolved = a.phase == AlertPhase::kResolved;
    n.starts_at = a.fired_at;
    n.ends_at = n.resolved ? a.resolved_at : now + 4 * options_.resend_interval;
    n.value = a.value;
    n.target = a.target;
    n.sample_size = a.sample_size;
    n.window = a.window;
    out.push_back(std::move(n));
  }
  return SortedByLabels(std::move(out),
                        [](const AlertNotification& n) -> const AlertLabelSet& {
                          return n.labels;
                        });
}

std::vector<AlertInstance> AlertLifecycle::Instances() const {
  std::vector<AlertInstance> out;
  absl::MutexLock lock(&mu_);
  // Sorted as pointers, copied once in order.
  std::vector<const AlertInstance*> all;
  all.reserve(instances_.size());
  for (const auto& [key, a] : instances_) all.push_back(&a);
  const std::vector<const AlertInstance*> sorted = SortedByLabels(
      std::move(all),
      [](const AlertInstance* a) -> const AlertLabelSet& { return a->labels; });
  out.reserve(sorted.size());
  for (const AlertInstance* a : sorted) out.push_back(*a);
  return out;
}

int AlertLifecycle::Merge(
    const std::vector<SharedAlertState>& states,
    const std::function<bool(const AlertLabels&)>& keep_local) {
  const absl::Time now = clock_.Now();
  int changed = 0;
  absl::MutexLock lock(&mu_);
  for (const SharedAlertState& shared : states) {
    auto it = instances_.find(shared.key);
    if (it != instances_.end() && keep_local(it->second.labels)) continue;
    if (!shared.instance.has_value()) {
      if (it != instances_.end() &&
          it->second.updated_at <= shared.tombstone_at) {
        instances_.erase(it);
        ++changed;
      }
      continue;
    }
    if (keep_local(shared.instance->labels)) continue;
    if (it != instances_.end() &&
        it->second.updated_at >= shared.instance->updated_at) {
      continue;
    }
    AlertInstance a = *shared.instance;
    a.parked_since = now;
    a.scope = AlertScope::kAway;  // until an Update claims it
    instances_[shared.key] = std::move(a);
    ++changed;
  }
  return changed;
}

void AlertLifecycle::Drop(
    const std::function<bool(const AlertInstance&)>& predicate) {
  absl::MutexLock lock(&mu_);
  absl::erase_if(instances_,
                 [&](const auto& kv) { return predicate(kv.second); });
}

}  // namespace outcomes
