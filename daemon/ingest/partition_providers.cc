#include "daemon/ingest/partition_providers.h"

namespace outcomes {

PartitionProviders& PartitionProviders::operator=(
    PartitionProviders&& other) noexcept {
  if (this != &other) {
    ReleaseAll();
    gate_ = std::exchange(other.gate_, nullptr);
    held_ = std::move(other.held_);
    other.held_.clear();
    judged_new_ = other.judged_new_;
  }
  return *this;
}

void PartitionProviders::ReleaseAll() {
  if (gate_ != nullptr) {
    for (const std::string& p : held_) gate_->Release(p);
  }
  held_.clear();
}

void PartitionProviders::Reset(const std::vector<std::string>& providers) {
  if (gate_ == nullptr) return;
  absl::flat_hash_set<std::string> next(providers.begin(), providers.end());
  for (const std::string& p : next) {
    if (!held_.contains(p)) gate_->Acquire(p);
  }
  for (const std::string& p : held_) {
    if (!next.contains(p)) gate_->Release(p);
  }
  held_ = std::move(next);
  judged_new_ = false;
}

}  // namespace outcomes
