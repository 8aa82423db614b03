// The providers with state in one assigned partition, each holding its
// slot of the ProviderGate (daemon/ingest/provider_gate.h). Owned by the
// pipeline's per-partition data; the slots are released when it is
// destroyed (partition revoked or re-assigned).
//
// Thread safety: consumer thread only, like the gate's Judge.
// Ownership: borrows the gate (may be null: no limits, nothing tracked).
#ifndef OUTCOMESD_DAEMON_INGEST_PARTITION_PROVIDERS_H_
#define OUTCOMESD_DAEMON_INGEST_PARTITION_PROVIDERS_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "daemon/ingest/event_decoder.h"
#include "daemon/ingest/provider_gate.h"

namespace outcomes {

class PartitionProviders {
 public:
  explicit PartitionProviders(ProviderGate* gate = nullptr) : gate_(gate) {}
  PartitionProviders(PartitionProviders&& other) noexcept
      : gate_(std::exchange(other.gate_, nullptr)),
        held_(std::move(other.held_)),
        judged_new_(other.judged_new_) {}
  PartitionProviders& operator=(PartitionProviders&& other) noexcept;
  ~PartitionProviders() { ReleaseAll(); }

  // nullopt when an event of `provider` may be applied to the partition.
  std::optional<RejectReason> Judge(absl::string_view provider) {
    if (gate_ == nullptr) return std::nullopt;
    judged_new_ = !held_.contains(provider);
    return gate_->Judge(provider, !judged_new_);
  }
  // After the event Judge admitted last was applied: its provider has
  // state here. REQUIRES: `provider` is the one last judged (the pipeline
  // judges and applies one event at a time); saves a second lookup.
  void Applied(absl::string_view provider) {
    if (gate_ == nullptr || !judged_new_) return;
    judged_new_ = false;
    held_.insert(std::string(provider));
    gate_->Acquire(provider);
  }
  // The partition's state now has exactly `providers` (restored from a
  // checkpoint, or some evicted): slots taken or released to match.
  void Reset(const std::vector<std::string>& providers);

  size_t size() const { return held_.size(); }

 private:
  void ReleaseAll();

  ProviderGate* gate_;
  absl::flat_hash_set<std::string> held_;
  bool judged_new_ = false;  // the provider last judged had no state here
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_INGEST_PARTITION_PROVIDERS_H_
