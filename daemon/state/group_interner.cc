#include "daemon/state/group_interner.h"

#include <utility>

#include "daemon/state/funnel_table.h"
#include "daemon/state/state_settings.h"

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

uint8_t GroupInterner::Intern(int d, const std::string_view* value) {
  if (value == nullptr || value->empty()) return 0;
  Dimension& dim = dims_[d];
  auto it = dim.ids.find(absl::string_view(value->data(), value->size()));
  if (it != dim.ids.end()) return it->second;
  if (static_cast<int>(dim.names.size()) >= max_groups_) {
    ++dim.overflow;
    return 0;
  }
  dim.names.emplace_back(*value);
  const auto id = static_cast<uint8_t>(dim.names.size());
  dim.ids.emplace(std::string(*value), id);
  return id;
}

uint8_t GroupInterner::GroupOf(const EventView& event, int d) {
  return Intern(d, event.FindAttribute(dims_[d].name));
}

void GroupInterner::GroupsOf(const EventView& event, uint8_t* groups) {
  // One pass over the event's attributes (keys are distinct) for all
  // dimensions, rather than one FindAttribute per dimension.
  const int n = num_dimensions();
  const std::string_view* values[kMaxDimensions] = {};
  for (const auto& [key, value] : event.attributes()) {
    for (int d = 0; d < n; ++d) {
      if (key == dims_[d].name) values[d] = &value;
    }
  }
  for (int d = 0; d < n; ++d) groups[d] = Intern(d, values[d]);
}

uint16_t GroupInterner::ProfileOf(const EventView& event) {
  uint8_t groups[kMaxDimensions];
  GroupsOf(event, groups);
  return ProfileOfGroups(groups);
}

uint16_t GroupInterner::ProfileOfGroups(const uint8_t* groups) {
  uint64_t packed = 0;
  for (int d = 0; d < num_dimensions(); ++d) {
    packed |= static_cast<uint64_t>(groups[d]) << (8 * d);
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
