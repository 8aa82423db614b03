#include "daemon/alerting.h"

#include <map>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "daemon/alerts/alert_text.h"
#include "daemon/base/json.h"
#include "daemon/base/json_log.h"

namespace outcomes {
namespace {

prometheus::Family<prometheus::Counter>& ReloadFamily(prometheus::Registry& r) {
  return prometheus::BuildCounter()
      .Name("outcomes_rules_reloads_total")
      .Help("Rule (re)loads, by result (success|failure).")
      .Register(r);
}

prometheus::Family<prometheus::Counter>& SnapshotFailures(
    prometheus::Registry& r) {
  return prometheus::BuildCounter()
      .Name("outcomes_alert_snapshot_failures_total")
      .Help(
          "Alert state file (--state.dir/alerts.snapshot) failures, by "
          "reason (corrupt|unreadable|write)")
      .Register(r);
}

prometheus::Gauge& NewGauge(prometheus::Registry& r, const char* name,
                            const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

// "" for a time that has not happened (InfinitePast).
std::string Rfc3339(absl::Time t) {
  return t == absl::InfinitePast() ? "" : FormatRfc3339(t);
}

Json InstanceJson(const AlertInstance& a) {
  Json j = Json::object();
  j["labels"] = *a.labels;
  j["annotations"] = *a.annotations;
  j["state"] = AlertPhaseName(a.phase);
  j["activeAt"] = Rfc3339(a.active_at);
  j["firingSince"] = Rfc3339(a.fired_at);
  j["resolvedAt"] = Rfc3339(a.resolved_at);
  j["window"] = a.window;
  j["value"] = JsonNumberOrNull(a.value);
  j["target"] = JsonNumberOrNull(a.target);
  j["sampleSize"] = a.sample_size;
  return j;
}

Json GoalJson(const GoalSpec& g) {
  Json j = Json::object();
  j["name"] = g.name;
  j["alert"] = g.alert;
  j["metric"] = g.metric_name;
  j["window"] = g.window;
  j[g.is_min ? "min" : "max"] = JsonNumberOrNull(g.target);
  j["minSample"] = g.min_sample;
  j["for"] = absl::FormatDuration(g.for_duration);
  j["keepFiringFor"] = absl::FormatDuration(g.keep_firing_for);
  j["severity"] = g.severity;
  if (g.confidence) j["confidence"] = JsonNumberOrNull(*g.confidence);
  if (!g.provider_targets.empty()) {
    Json overrides = Json::object();
    // Sorted by provider: the hash map's order is not stable.
    const std::map<std::string, double> sorted(g.provider_targets.begin(),
                                               g.provider_targets.end());
    for (const auto& [provider, target] : sorted) {
      overrides[provider] = JsonNumberOrNull(target);
    }
    j["overrides"] = std::move(overrides);
  }
  j["source"] = g.source;
  return j;
}

Json ContractJson(const ContractSpec& contract) {
  Json j = Json::object();
  j["id"] = contract.id;
  j["program"] = contract.program;
  j["providers"] = contract.providers;
  Json goals = Json::array();
  for (const GoalSpec& g : contract.goals) goals.push_back(GoalJson(g));
  j["goals"] = std::move(goals);
  return j;
}

}  // namespace

Alerting::Alerting(AlertingSettings settings, const Clock& clock,
                   prometheus::Registry& registry,
                   AlertmanagerNotifier* notifier, AlertSink* sink,
                   std::function<bool()> ready, AlertStateStore* state_store)
    : settings_(std::move(settings)),
      clock_(clock),
      notifier_(notifier),
      sink_(sink),
      ready_(std::move(ready)),
      lifecycle_({settings_.resend_interval, absl::Minutes(15)}, clock),
      alert_metrics_(lifecycle_),
      reload_success_(ReloadFamily(registry).Add({{"result", "success"}})),
      reload_failure_(ReloadFamily(registry).Add({{"result", "failure"}})),
      last_reload_ok_(NewGauge(registry, "outcomes_rules_last_reload_success",
                               "1 when the last rule (re)load succeeded.")),
      goals_loaded_(NewGauge(registry, "outcomes_rules_goals",
                             "Contract goals in force.")),
      evaluation_seconds_(NewGauge(
          registry, "outcomes_goal_evaluation_seconds",
          "Time the last goal evaluation took (all goals, all providers).")),
      snapshot_corrupt_(
          SnapshotFailures(registry).Add({{"reason", "corrupt"}})),
      snapshot_unreadable_(
          SnapshotFailures(registry).Add({{"reason", "unreadable"}})),
      snapshot_write_failures_(
          SnapshotFailures(registry).Add({{"reason", "write"}})),
      snapshot_writable_(NewGauge(
          registry, "outcomes_alert_snapshot_writable",
          "1 when the last save of the alert state file succeeded (or none "
          "is configured).")),
      rules_(std::make_shared<RuleSet>()) {
  if (state_store != nullptr) replica_.emplace(*state_store, registry);
  snapshot_writable_.Set(1);
}

std::string Alerting::StatePath() const {
  return settings_.state_dir.empty() ? ""
                                     : settings_.state_dir + "/alerts.snapshot";
}

absl::Status Alerting::Start() {
  if (absl::Status s = ReloadRules(); !s.ok()) return s;
  if (StatePath().empty()) return absl::OkStatus();
  auto snapshot = LoadAlertSnapshot(StatePath());
  if (absl::IsNotFound(snapshot.status())) return absl::OkStatus();
  absl::Status restored = snapshot.status();
  if (restored.ok()) restored = lifecycle_.Restore(*snapshot);
  if (!restored.ok()) {
    (absl::IsUnavailable(restored) ? snapshot_unreadable_ : snapshot_corrupt_)
        .Increment();
    Log(LogLevel::kError,
        "alert state file not used; alerts start from the state topic",
        {{"path", StatePath()}, {"error", restored.ToString()}});
    return absl::OkStatus();
  }
  Log(LogLevel::kInfo, "alert state restored",
      {{"path", StatePath()},
       {"instances", static_cast<long long>(lifecycle_.Instances().size())}});
  return absl::OkStatus();
}

absl::Status Alerting::Reload() {
  absl::Status status = ReloadRules();
  std::vector<std::function<absl::Status()>> hooks;
  {
    absl::MutexLock lock(&mu_);
    hooks = reload_hooks_;
  }
  for (const auto& hook : hooks) {
    absl::Status s = hook();
    if (status.ok()) status = std::move(s);
  }
  return status;
}

void Alerting::AddReloadHook(std::function<absl::Status()> hook) {
  absl::MutexLock lock(&mu_);
  reload_hooks_.push_back(std::move(hook));
}

absl::Status Alerting::ReloadRules() {
  if (settings_.rule_paths.empty()) return absl::OkStatus();
  absl::StatusOr<RuleSet> loaded =
      LoadRules(settings_.rule_paths, settings_.rules);
  absl::MutexLock lock(&mu_);
  if (!loaded.ok()) {
    reload_failure_.Increment();
    last_reload_ok_.Set(0);
    last_reload_error_ = std::string(loaded.status().message());
    Log(LogLevel::kError, "rules not loaded; previous rules stay in force",
        {{"error", last_reload_error_}});
    return loaded.status();
  }
  rules_ = std::make_shared<const RuleSet>(*std::move(loaded));
  reload_success_.Increment();
  last_reload_ok_.Set(1);
  last_reload_error_.clear();
  goals_loaded_.Set(rules_->num_goals());
  Log(LogLevel::kInfo, "rules loaded",
      {{"files", absl::StrJoin(rules_->files, ",")},
       {"goals", rules_->num_goals()}});
  return absl::OkStatus();
}

std::shared_ptr<const RuleSet> Alerting::rules() const {
  absl::MutexLock lock(&mu_);
  return rules_;
}

Alerting::~Alerting() {
  absl::MutexLock eval_lock(&eval_mu_);
  if (read_thread_.joinable()) read_thread_.join();
}

void Alerting::ReadSharedState(const StoreSnapshot& snapshot) {
  std::shared_ptr<StateRead> read;
  bool start = false;
  {
    absl::MutexLock lock(&mu_);
    absl::flat_hash_set<PartitionId> present;
    for (const PartitionFigures& p : snapshot.partitions) present.insert(p.id);
    const auto gone = [&present](const PartitionId& id) {
      return !present.contains(id);
    };
    absl::erase_if(read_, gone);
    absl::erase_if(revoked_, gone);  // back only by a new assignment
    if (read_in_flight_ == nullptr) {
      std::vector<PartitionId> unread;
      for (const PartitionId& id : present) {
        if (!read_.contains(id) && !revoked_.contains(id)) unread.push_back(id);
      }
      if (unread.empty()) return;
      if (!replica_.has_value()) {  // nothing to read
        read_.insert(unread.begin(), unread.end());
        return;
      }
      read_in_flight_ = std::make_shared<StateRead>();
      read_in_flight_->partitions = std::move(unread);
      start = true;
    }
    read = read_in_flight_;
  }
  if (start) {
    if (read_thread_.joinable()) read_thread_.join();  // the previous, done
    read_thread_ = std::thread([this, read] {
      auto result = replica_->Read(settings_.state_read_timeout);
      absl::MutexLock lock(&mu_);
      read->result = std::move(result);
      read->done = true;
    });
  }
  {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&read->done),
                         settings_.state_read_wait);
    if (!read->done) return;  // still reading: its partitions stay parked
    read_in_flight_.reset();
  }
  InstallSharedState(snapshot, *read);
}

void Alerting::InstallSharedState(const StoreSnapshot& snapshot,
                                  const StateRead& read) {
  if (!read.result.ok()) {
    Log(LogLevel::kError,
        "alert state topic not read; new partitions stay parked",
        {{"error", read.result.status().ToString()}});
    return;  // the next evaluation reads again
  }
  // Providers judged here right now keep their local state: it is newer.
  absl::flat_hash_set<ProviderProgram> judged;
  {
    absl::MutexLock lock(&mu_);
    for (const PartitionFigures& p : snapshot.partitions) {
      if (!read_.contains(p.id)) continue;
      for (const ProgramFigures& f : p.programs) {
        judged.emplace(f.provider, f.program);
      }
    }
  }
  const int changed = lifecycle_.Merge(*read.result, [&judged](
                                                         const AlertLabels& l) {
    const auto provider = l.find("provider");
    const auto program = l.find("program");
    return provider != l.end() && program != l.end() &&
           judged.contains(ProviderProgram(provider->second, program->second));
  });
  Log(LogLevel::kInfo, "alert state topic read",
      {{"records", static_cast<long long>(read.result->size())},
       {"installed", changed},
       {"partitions", static_cast<long long>(read.partitions.size())}});
  absl::flat_hash_set<PartitionId> present;
  for (const PartitionFigures& p : snapshot.partitions) present.insert(p.id);
  absl::MutexLock lock(&mu_);
  for (const PartitionId& id : read.partitions) {
    // Revoked or gone meanwhile: read again when it comes back.
    if (present.contains(id) && !revoked_.contains(id)) read_.insert(id);
  }
}

void Alerting::OnSnapshot(const StoreSnapshot& snapshot) {
  absl::MutexLock eval_lock(&eval_mu_);
  ReadSharedState(snapshot);
  const absl::Time start = absl::Now();
  // The judged figures, in the snapshot (not copied).
  std::vector<const ProgramFigures*> figures;
  // Providers of partitions held but not judgeable yet (not ready, or the
  // state topic not read): parked and kept.
  absl::flat_hash_set<ProviderProgram> held;
  {
    absl::MutexLock lock(&mu_);
    providers_.clear();
    for (const PartitionFigures& p : snapshot.partitions) {
      std::vector<ProviderProgram>& providers = providers_[p.id];
      const bool judged = p.ready && read_.contains(p.id);
      for (const ProgramFigures& f : p.programs) {
        providers.emplace_back(f.provider, f.program);
        if (judged) {
          figures.push_back(&f);
        } else {
          held.emplace(f.provider, f.program);
        }
      }
    }
  }
  if (!ready_()) return;
  const std::shared_ptr<const RuleSet> rules = this->rules();
  // Alerts read the explanations of the results in shortfall only.
  EvaluatorSettings evaluator = settings_.evaluator;
  evaluator.explain_all = false;
  std::vector<GoalResult> results = std::move(spare_results_);
  EvaluateGoalsInto(*rules, figures, evaluator, results);
  absl::flat_hash_set<ProviderProgram> owned;
  for (const ProgramFigures* f : figures) {
    owned.emplace(f->provider, f->program);
  }
  // Goals not judged for missing history: contract, goal, provider, program.
  absl::flat_hash_set<std::string> incomplete;
  for (const GoalResult& r : results) {
    if (!r.incomplete) continue;
    incomplete.insert(absl::StrCat(r.goal->contract, "\x1f", r.goal->name,
                                   "\x1f", r.provider, "\x1f", r.program));
  }
  const auto scope = [&](const AlertLabels& l) {
    const auto get = [&l](const char* name) {
      const auto it = l.find(name);
      return it == l.end() ? std::string() : it->second;
    };
    const ProviderProgram pp(get("provider"), get("program"));
    if (owned.contains(pp)) {
      return incomplete.contains(absl::StrCat(get("contract"), "\x1f",
                                              get("goal"), "\x1f", pp.first,
                                              "\x1f", pp.second))
                 ? AlertScope::kHeld
                 : AlertScope::kJudged;
    }
    return held.contains(pp) ? AlertScope::kHeld : AlertScope::kAway;
  };
  lifecycle_.UpdateScopedInputs(shortfall_inputs_.Inputs(results, rules),
                                scope);
  spare_results_ = alert_metrics_.Update(std::move(results), rules);
  evaluation_seconds_.Set(absl::ToDoubleSeconds(absl::Now() - start));
  const std::vector<AlertNotification> due = lifecycle_.TakeDueNotifications();
  if (!due.empty()) {
    if (notifier_ != nullptr) notifier_->Enqueue(due);
    if (sink_ != nullptr) sink_->Publish(due);
  }
  if (replica_.has_value()) replica_->Sync(lifecycle_.Instances(), scope);
  SaveState();
}

void Alerting::OnPartitionsRevoked(const std::vector<PartitionId>& revoked) {
  absl::MutexLock eval_lock(&eval_mu_);
  absl::flat_hash_set<ProviderProgram> leaving;
  {
    absl::MutexLock lock(&mu_);
    for (const PartitionId& id : revoked) {
      revoked_.insert(id);
      // A partition whose state was never read has nothing newer to say.
      if (read_.erase(id) == 0) continue;
      auto it = providers_.find(id);
      if (it == providers_.end()) continue;
      leaving.insert(it->second.begin(), it->second.end());
    }
  }
  if (!replica_.has_value() || leaving.empty()) return;
  std::vector<AlertInstance> final_state;
  for (AlertInstance& a : lifecycle_.Instances()) {
    const auto provider = a.labels.find("provider");
    const auto program = a.labels.find("program");
    if (provider == a.labels.end() || program == a.labels.end()) continue;
    if (leaving.contains(ProviderProgram(provider->second, program->second))) {
      final_state.push_back(std::move(a));
    }
  }
  const absl::Status s =
      replica_->WriteFinal(final_state, settings_.state_flush_timeout);
  Log(s.ok() ? LogLevel::kInfo : LogLevel::kError,
      "alert state of revoked partitions written",
      {{"partitions", static_cast<long long>(revoked.size())},
       {"alerts", static_cast<long long>(final_state.size())},
       {"error", s.ok() ? std::string() : s.ToString()}});
}

void Alerting::OnPartitionsAssigned(const std::vector<PartitionId>& assigned) {
  absl::MutexLock lock(&mu_);
  for (const PartitionId& id : assigned) revoked_.erase(id);
}

void Alerting::SaveState() {
  if (StatePath().empty()) return;
  const absl::Status s = SaveAlertSnapshot(lifecycle_.Snapshot(), StatePath());
  absl::MutexLock lock(&mu_);
  if (!s.ok()) snapshot_write_failures_.Increment();
  snapshot_writable_.Set(s.ok() ? 1 : 0);
  if (s.ok() == !save_failing_) return;  // no change: logged already
  save_failing_ = !s.ok();
  if (s.ok()) {
    Log(LogLevel::kInfo, "alert state saved again", {{"path", StatePath()}});
  } else {
    Log(LogLevel::kError, "cannot save alert state", {{"error", s.ToString()}});
  }
}

std::vector<AlertInstance> Alerting::OwnInstances() const {
  std::vector<AlertInstance> out = lifecycle_.Instances();
  std::erase_if(
      out, [](const AlertInstance& a) { return a.scope == AlertScope::kAway; });
  return out;
}

std::string Alerting::AlertsJson() const {
  Json alerts = Json::array();
  for (const AlertInstance& a : OwnInstances()) {
    alerts.push_back(InstanceJson(a));
  }
  Json j = Json::object();
  j["alerts"] = std::move(alerts);
  return DumpJson(j);
}

std::string Alerting::RulesJson() const {
  const std::shared_ptr<const RuleSet> rules = this->rules();
  Json j = Json::object();
  j["files"] = rules->files;
  Json contracts = Json::array();
  for (const ContractSpec& c : rules->contracts) {
    contracts.push_back(ContractJson(c));
  }
  j["contracts"] = std::move(contracts);
  absl::MutexLock lock(&mu_);
  j["lastReloadError"] = last_reload_error_;
  return DumpJson(j);
}

}  // namespace outcomes
