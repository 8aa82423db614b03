// The providers with state in one assigned partition, each holding its
// slot of the ProviderGate (daemon/provider_gate.h). Owned by the
// pipeline's per-partition data; the slots are released when it is
// destroyed (partition revoked or re-assigned).
//
// Thread safety: consumer thread only, like the gate's Judge.
// Ownership: borrows the gate (may be null: no limits, nothing tracked).
#ifndef OUTCOMESD_DAEMON_PARTITION_PROVIDERS_H_
#define OUTCOMESD_DAEMON_PARTITION_PROVIDERS_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "daemon/event_decoder.h"
#include "daemon/provider_gate.h"

namespace outcomes {

class PartitionProviders {
 public:
  explicit PartitionProviders(ProviderGate* gate = nullptr) : gate_(gate) {}
  PartitionProviders(PartitionProviders&& other) noexcept
      : gate_(std::exchange(other.gate_, nullptr)),
        held_(std::move(other.held_)) {}
  PartitionProviders& operator=(PartitionProviders&& other) noexcept;
  ~PartitionProviders() { ReleaseAll(); }

  // nullopt when an event of `provider` may be applied to the partition.
  std::optional<RejectReason> Judge(absl::string_view provider) {
    if (gate_ == nullptr) return std::nullopt;
    return gate_->Judge(provider, held_.contains(provider));
  }
  // After an admitted event was applied: `provider` has state here.
  void Applied(absl::string_view provider) {
    if (gate_ != nullptr && !held_.contains(provider)) {
      held_.insert(std::string(provider));
      gate_->Acquire(provider);
    }
  }
  // The partition's state now has exactly `providers` (restored from a
  // checkpoint, or some evicted): slots taken or released to match.
  void Reset(const std::vector<std::string>& providers);

  size_t size() const { return held_.size(); }

 private:
  void ReleaseAll();

  ProviderGate* gate_;
  absl::flat_hash_set<std::string> held_;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_PARTITION_PROVIDERS_H_
