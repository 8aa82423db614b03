// Bounded providers (docs/design.md, "Safe to expose"): --providers.max and
// --providers.file.
//
// Which providers count. A provider holds one slot of this instance while
// any assigned partition has state of it: state applied from events, or
// restored from a checkpoint. It is counted once however many of its
// programs (or partitions, with several topics) have state. A slot frees
// when the last of that state is gone: evicted past the horizon (the
// first evaluation of a day drops a provider+program with nothing left
// within the horizon) or its partition revoked.
//
// What is rejected. An event of a provider not in --providers.file is
// rejected with reason unknown_provider; otherwise an event of a provider
// without a slot, while --providers.max providers hold one, is rejected
// with provider_limit. Both are judged after every decode reason and
// key_mismatch, before dedupe, so a rejected event leaves nothing behind:
// no dedupe entry, no state, no metric series, no slot.
//
// Restored state is never cut: a checkpoint's providers all take slots,
// also beyond the limit (an instance that took over the partitions of
// another may then hold more than max; new providers are rejected until
// slots free). Replayed messages (state rebuilt after a restart or a
// rebalance) are judged the same way, in log order, without being counted
// or dead-lettered again (the first owner did): a partition rebuilt alone
// takes the same decisions as when it was read first. When the limit is
// actually reached, which providers won a slot can differ after a rebuild
// in another instance or with partitions interleaved differently; the
// limit is a safety valve, to be set well above the providers expected.
//
// Reload (SIGHUP, POST /-/reload, with the rules): a new list applies to
// the next event judged. An invalid file keeps the old list (logged,
// outcomes_providers_reloads_total{result="failure"}). A provider removed
// from the list has its new events rejected; its state stays and ages out
// like that of a provider that stopped sending (a mistaken edit must not
// destroy up to a horizon of history that a rebuild might not recover).
//
// Metrics: outcomes_providers, outcomes_providers_limit,
// outcomes_providers_listed (with a file), outcomes_providers_reloads_total
// {result}, outcomes_providers_last_reload_success.
//
// Thread safety: Reload from any thread; everything else (Judge, Acquire,
// Release, providers) on the consumer thread only.
// Ownership: borrows the clock and registry; they must outlive the gate.
#ifndef OUTCOMESD_DAEMON_INGEST_PROVIDER_GATE_H_
#define OUTCOMESD_DAEMON_INGEST_PROVIDER_GATE_H_

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "daemon/base/clock.h"
#include "daemon/ingest/event_decoder.h"
#include "daemon/ingest/provider_list.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace outcomes {

struct ProviderGateSettings {
  int max_providers = 10000;  // --providers.max; REQUIRES: >= 1
  std::string file;           // --providers.file; "": every id allowed
};

class ProviderGate {
 public:
  // Loads settings.file when set; its error (unreadable, bad line, empty)
  // is returned as is: fatal at startup. REQUIRES: max_providers >= 1.
  static absl::StatusOr<std::unique_ptr<ProviderGate>> Create(
      const ProviderGateSettings& settings, const Clock& clock,
      prometheus::Registry& registry);

  // Re-reads --providers.file (no-op without one). On error the old list
  // stays in force; logged and counted. Thread-safe.
  absl::Status Reload();

  // The verdict on an event of `provider`; `held` says whether its
  // partition has state of it already. nullopt: admitted (then Acquire it
  // unless held). Rejections are logged, rate-limited (once a minute per
  // reason, with the count since the last line).
  std::optional<RejectReason> Judge(absl::string_view provider, bool held);
  // One more / one less partition has state of `provider`.
  // REQUIRES (Release): a matching Acquire.
  void Acquire(absl::string_view provider);
  void Release(absl::string_view provider);

  size_t providers() const { return holders_.size(); }
  int max_providers() const { return settings_.max_providers; }

 private:
  ProviderGate(const ProviderGateSettings& settings, const Clock& clock,
               prometheus::Registry& registry);
  // Installs `list` for Judge (any thread).
  void Publish(std::shared_ptr<const ProviderList> list);
  void Warn(RejectReason reason, absl::string_view provider);

  const ProviderGateSettings settings_;
  const Clock& clock_;
  prometheus::Gauge& providers_gauge_;
  prometheus::Gauge& listed_gauge_;
  prometheus::Counter& reload_success_;
  prometheus::Counter& reload_failure_;
  prometheus::Gauge& last_reload_ok_;

  absl::Mutex mu_;
  std::shared_ptr<const ProviderList> published_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> generation_{0};

  // Consumer thread only.
  std::shared_ptr<const ProviderList> list_;  // null: no file
  uint64_t seen_generation_ = 0;
  // Provider -> number of partitions with state of it.
  absl::flat_hash_map<std::string, int> holders_;
  struct Throttle {
    absl::Time last = absl::InfinitePast();
    int64_t since_last = 0;
  };
  std::array<Throttle, 2> throttle_;  // unknown_provider, provider_limit
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_INGEST_PROVIDER_GATE_H_
