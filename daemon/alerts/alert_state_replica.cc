#include "daemon/alerts/alert_state_replica.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "daemon/base/json_log.h"
#include "outcomes/v1/alert.pb.h"

namespace outcomes {
namespace {

constexpr int kRecordVersion = 1;

prometheus::Counter& NewCounter(prometheus::Registry& r, const char* name,
                                const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}

prometheus::Family<prometheus::Counter>& Family(prometheus::Registry& r,
                                                const char* name,
                                                const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

// Phase and lifecycle times: what a record is rewritten for (value and
// annotations change with the figures; they are not worth a write).
std::string Fingerprint(const AlertInstance& a) {
  const auto ms = [](absl::Time t) {
    return t == absl::InfinitePast() ? int64_t{0} : absl::ToUnixMillis(t);
  };
  return absl::StrCat(static_cast<int>(a.phase), "|", ms(a.active_at), "|",
                      ms(a.fired_at), "|", ms(a.keep_firing_since), "|",
                      ms(a.resolved_at), "|", ms(a.last_sent_at));
}

}  // namespace

std::string EncodeAlertStateRecord(const AlertInstance& instance) {
  v1::AlertStateRecord record;
  record.set_version(kRecordVersion);
  *record.mutable_instance() = InstanceToProto(instance);
  return record.SerializeAsString();
}

AlertStateReplica::AlertStateReplica(AlertStateStore& store,
                                     prometheus::Registry& registry)
    : store_(store),
      writes_(NewCounter(registry, "outcomes_alert_state_writes_total",
                         "Alert state records and tombstones queued for the "
                         "state topic")),
      write_failures_(NewCounter(registry,
                                 "outcomes_alert_state_write_failures_total",
                                 "Alert state topic writes that failed")),
      reads_ok_(Family(registry, "outcomes_alert_state_reads_total",
                       "Reads of the alert state topic, by result")
                    .Add({{"result", "success"}})),
      reads_failed_(Family(registry, "outcomes_alert_state_reads_total",
                           "Reads of the alert state topic, by result")
                        .Add({{"result", "failure"}})),
      ignored_version_(Family(registry,
                              "outcomes_alert_state_records_ignored_total",
                              "State topic records skipped, by reason")
                           .Add({{"reason", "unknown_version"}})),
      ignored_corrupt_(Family(registry,
                              "outcomes_alert_state_records_ignored_total",
                              "State topic records skipped, by reason")
                           .Add({{"reason", "corrupt"}})) {}

void AlertStateReplica::Put(const AlertInstance& a) {
  const std::string key = LabelKey(a.labels);
  store_.Put(key, EncodeAlertStateRecord(a));
  writes_.Increment();
  written_[key] = Written{a.labels, Fingerprint(a)};
}

void AlertStateReplica::CountFailures() {
  const uint64_t failures = store_.write_failures();
  if (failures > failures_seen_) {
    write_failures_.Increment(static_cast<double>(failures - failures_seen_));
    failures_seen_ = failures;
  }
}

void AlertStateReplica::Sync(
    const std::vector<AlertInstance>& instances,
    const std::function<AlertScope(const AlertLabels&)>& scope) {
  absl::MutexLock lock(&mu_);
  absl::flat_hash_set<std::string> present;
  for (const AlertInstance& a : instances) {
    std::string key = LabelKey(a.labels);
    if (scope(a.labels) == AlertScope::kJudged) {
      auto it = written_.find(key);
      if (it == written_.end() || it->second.fingerprint != Fingerprint(a)) {
        Put(a);
      }
    }
    present.insert(std::move(key));
  }
  for (auto it = written_.begin(); it != written_.end();) {
    if (present.contains(it->first)) {
      ++it;
      continue;
    }
    if (scope(it->second.labels) == AlertScope::kJudged) {
      store_.Delete(it->first);  // went inactive here
      writes_.Increment();
    }
    written_.erase(it++);
  }
  CountFailures();
}

absl::Status AlertStateReplica::WriteFinal(
    const std::vector<AlertInstance>& instances, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  for (const AlertInstance& a : instances) Put(a);
  absl::Status s = store_.Flush(timeout);
  CountFailures();
  return s;
}

absl::StatusOr<std::vector<SharedAlertState>> AlertStateReplica::Read(
    absl::Duration timeout) {
  absl::StatusOr<std::vector<StateTopicRecord>> records =
      store_.ReadAll(timeout);
  if (!records.ok()) {
    reads_failed_.Increment();
    return records.status();
  }
  reads_ok_.Increment();
  std::vector<SharedAlertState> out;
  for (StateTopicRecord& r : *records) {
    SharedAlertState shared;
    shared.key = std::move(r.key);
    if (!r.value.has_value()) {
      shared.tombstone_at = r.written_at;
      out.push_back(std::move(shared));
      continue;
    }
    v1::AlertStateRecord record;
    if (!record.ParseFromString(*r.value)) {
      ignored_corrupt_.Increment();
      continue;
    }
    if (record.version() != kRecordVersion) {
      ignored_version_.Increment();
      Log(LogLevel::kWarning, "alert state record of unknown version ignored",
          {{"version", static_cast<long long>(record.version())}});
      continue;
    }
    absl::StatusOr<AlertInstance> instance =
        InstanceFromProto(record.instance());
    if (!instance.ok() || LabelKey(instance->labels) != shared.key) {
      ignored_corrupt_.Increment();
      continue;
    }
    shared.instance = *std::move(instance);
    out.push_back(std::move(shared));
  }
  return out;
}

}  // namespace outcomes
