#include "daemon/ingest/provider_gate.h"

#include <utility>

#include "absl/base/macros.h"
#include "daemon/base/json_log.h"

namespace outcomes {
namespace {

constexpr absl::Duration kWarnInterval = absl::Minutes(1);

prometheus::Gauge& NewGauge(prometheus::Registry& r, const char* name,
                            const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

prometheus::Family<prometheus::Counter>& ReloadFamily(prometheus::Registry& r) {
  return prometheus::BuildCounter()
      .Name("outcomes_providers_reloads_total")
      .Help(
          "Reloads of --providers.file (with the rules: SIGHUP, POST "
          "/-/reload), by result; on failure the old list stays.")
      .Register(r);
}

}  // namespace

ProviderGate::ProviderGate(const ProviderGateSettings& settings,
                           const Clock& clock, prometheus::Registry& registry)
    : settings_(settings),
      clock_(clock),
      providers_gauge_(NewGauge(
          registry, "outcomes_providers",
          "Providers with state in this instance (all assigned partitions); "
          "at most outcomes_providers_limit unless restored from "
          "checkpoints.")),
      listed_gauge_(NewGauge(registry, "outcomes_providers_listed",
                             "Provider ids in --providers.file (0: no file, "
                             "every id allowed).")),
      reload_success_(ReloadFamily(registry).Add({{"result", "success"}})),
      reload_failure_(ReloadFamily(registry).Add({{"result", "failure"}})),
      last_reload_ok_(NewGauge(registry,
                               "outcomes_providers_last_reload_success",
                               "1 when the last (re)load of --providers.file "
                               "succeeded (or there is none).")) {
  NewGauge(registry, "outcomes_providers_limit",
           "--providers.max: providers this instance keeps state for; "
           "events of further new providers are rejected (provider_limit).")
      .Set(settings.max_providers);
  last_reload_ok_.Set(1);
}

absl::StatusOr<std::unique_ptr<ProviderGate>> ProviderGate::Create(
    const ProviderGateSettings& settings, const Clock& clock,
    prometheus::Registry& registry) {
  if (settings.max_providers < 1) {
    return absl::InvalidArgumentError(
        "--providers.max must be at least 1, got " +
        std::to_string(settings.max_providers));
  }
  std::unique_ptr<ProviderGate> gate(
      new ProviderGate(settings, clock, registry));
  if (!settings.file.empty()) {
    absl::StatusOr<ProviderList> list = LoadProviderList(settings.file);
    if (!list.ok()) return list.status();
    gate->Publish(std::make_shared<const ProviderList>(*std::move(list)));
    gate->reload_success_.Increment();
  }
  return gate;
}

void ProviderGate::Publish(std::shared_ptr<const ProviderList> list) {
  const size_t size = list->size();
  {
    absl::MutexLock lock(&mu_);
    published_ = std::move(list);
  }
  generation_.fetch_add(1, std::memory_order_release);
  listed_gauge_.Set(static_cast<double>(size));
  if (size > static_cast<size_t>(settings_.max_providers)) {
    Log(LogLevel::kWarning,
        "--providers.file lists more providers than --providers.max: the "
        "ones first seen beyond the limit are rejected (provider_limit)",
        {{"listed", size}, {"limit", settings_.max_providers}});
  }
}

absl::Status ProviderGate::Reload() {
  if (settings_.file.empty()) return absl::OkStatus();
  absl::StatusOr<ProviderList> list = LoadProviderList(settings_.file);
  if (!list.ok()) {
    reload_failure_.Increment();
    last_reload_ok_.Set(0);
    Log(LogLevel::kError,
        "providers file not loaded; the previous list stays in force",
        {{"error", std::string(list.status().message())}});
    return list.status();
  }
  const size_t size = list->size();
  Publish(std::make_shared<const ProviderList>(*std::move(list)));
  reload_success_.Increment();
  last_reload_ok_.Set(1);
  Log(LogLevel::kInfo, "providers file loaded",
      {{"path", settings_.file}, {"providers", size}});
  return absl::OkStatus();
}

std::optional<RejectReason> ProviderGate::Judge(absl::string_view provider,
                                                bool held) {
  if (generation_.load(std::memory_order_acquire) != seen_generation_) {
    absl::MutexLock lock(&mu_);
    list_ = published_;
    seen_generation_ = generation_.load(std::memory_order_acquire);
  }
  if (list_ != nullptr && !list_->contains(provider)) {
    Warn(RejectReason::kUnknownProvider, provider);
    return RejectReason::kUnknownProvider;
  }
  if (held || holders_.size() < static_cast<size_t>(settings_.max_providers) ||
      holders_.contains(provider)) {
    return std::nullopt;
  }
  Warn(RejectReason::kProviderLimit, provider);
  return RejectReason::kProviderLimit;
}

void ProviderGate::Acquire(absl::string_view provider) {
  auto [it, inserted] = holders_.try_emplace(provider, 0);
  ++it->second;
  if (inserted) providers_gauge_.Set(static_cast<double>(holders_.size()));
}

void ProviderGate::Release(absl::string_view provider) {
  auto it = holders_.find(provider);
  ABSL_ASSERT(it != holders_.end());
  if (it == holders_.end() || --it->second > 0) return;
  holders_.erase(it);
  providers_gauge_.Set(static_cast<double>(holders_.size()));
}

void ProviderGate::Warn(RejectReason reason, absl::string_view provider) {
  Throttle& t = throttle_[reason == RejectReason::kProviderLimit ? 1 : 0];
  ++t.since_last;
  const absl::Time now = clock_.Now();
  if (now - t.last < kWarnInterval) return;
  // Provider ids are validated ([A-Za-z0-9._:-]) and are metric labels
  // anyway; nothing of the client is logged.
  if (reason == RejectReason::kProviderLimit) {
    Log(LogLevel::kWarning,
        "provider limit reached: events of new providers are rejected "
        "(provider_limit)",
        {{"limit", settings_.max_providers},
         {"providers", holders_.size()},
         {"rejected_since_last_warning", static_cast<long long>(t.since_last)},
         {"provider", std::string(provider)}});
  } else {
    Log(LogLevel::kWarning,
        "events of a provider not in --providers.file are rejected "
        "(unknown_provider)",
        {{"path", settings_.file},
         {"rejected_since_last_warning", static_cast<long long>(t.since_last)},
         {"provider", std::string(provider)}});
  }
  t.last = now;
  t.since_last = 0;
}

}  // namespace outcomes
