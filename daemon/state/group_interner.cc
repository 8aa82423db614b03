#include "daemon/state/group_interner.h"

#include <utility>

#include "daemon/state/funnel_table.h"

namespace outcomes {

GroupInterner::GroupInterner(std::vector<std::string> dimensions,
                             int max_groups)
    : max_groups_(max_groups) {
  for (std::string& name : dimensions) {
    dims_.push_back(Dimension{std::move(name), {}, {}, 0});
  }
  profiles_.push_back(0);  // profile 0: no group anywhere
  profile_ids_[0] = 0;
}

uint8_t GroupInterner::GroupOf(const v1::ServiceEvent& event, int d) {
  Dimension& dim = dims_[d];
  auto attr = event.attributes().find(dim.name);
  if (attr == event.attributes().end() || attr->second.empty()) return 0;
  auto it = dim.ids.find(attr->second);
  if (it != dim.ids.end()) return it->second;
  if (static_cast<int>(dim.names.size()) >= max_groups_) {
    ++dim.overflow;
    return 0;
  }
  dim.names.push_back(attr->second);
  const auto id = static_cast<uint8_t>(dim.names.size());
  dim.ids.emplace(attr->second, id);
  return id;
}

uint16_t GroupInterner::ProfileOf(const v1::ServiceEvent& event) {
  uint64_t packed = 0;
  for (int d = 0; d < num_dimensions(); ++d) {
    packed |= static_cast<uint64_t>(GroupOf(event, d)) << (8 * d);
  }
  return InternProfile(packed);
}

uint16_t GroupInterner::InternProfile(uint64_t packed) {
  auto it = profile_ids_.find(packed);
  if (it != profile_ids_.end()) return it->second;
  if (profiles_.size() > FunnelReferral::kMaxProfile) {
    for (int d = 0; d < num_dimensions(); ++d) {
      if ((packed >> (8 * d)) & 0xff) ++dims_[d].overflow;
    }
    return 0;
  }
  const auto id = static_cast<uint16_t>(profiles_.size());
  profiles_.push_back(packed);
  profile_ids_.emplace(packed, id);
  return id;
}

bool GroupInterner::RestoreGroup(int d, std::string_view name) {
  Dimension& dim = dims_[d];
  if (name.empty() || static_cast<int>(dim.names.size()) >= max_groups_ ||
      dim.ids.contains(absl::string_view(name.data(), name.size()))) {
    return false;
  }
  dim.names.emplace_back(name);
  dim.ids.emplace(std::string(name), static_cast<uint8_t>(dim.names.size()));
  return true;
}

bool GroupInterner::RestoreProfile(uint64_t packed) {
  if (profile_ids_.contains(packed) ||
      profiles_.size() > FunnelReferral::kMaxProfile) {
    return false;
  }
  for (int d = 0; d < 8; ++d) {
    const int g = static_cast<int>((packed >> (8 * d)) & 0xff);
    if (g == 0) continue;
    if (d >= num_dimensions() || g > static_cast<int>(dims_[d].names.size())) {
      return false;
    }
  }
  InternProfile(packed);
  return true;
}

}  // namespace outcomes
