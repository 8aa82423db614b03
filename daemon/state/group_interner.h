// Interns subgroup values (docs/metrics.md group_rate) for one partition.
//
// For each configured dimension, the first max_groups_per_dimension distinct
// non-empty values seen (in processing order) get group ids 1..max; id 0 is
// "no group" (attribute absent or empty, or a value past the cap, which is
// also counted as an overflow). Ids are never reused during the partition's
// life, so a value's group never changes.
//
// A referral keeps the tuple of its groups over all dimensions as one
// 15-bit "profile" id (id 0 = no group in any dimension). Should the
// profile table ever fill up, further tuples get profile 0 and their
// non-zero groups are counted as overflows.
//
// Thread safety: none; owned by one PartitionState.
#ifndef OUTCOMESD_DAEMON_STATE_GROUP_INTERNER_H_
#define OUTCOMESD_DAEMON_STATE_GROUP_INTERNER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "daemon/base/event_view.h"

namespace outcomes {

class GroupInterner {
 public:
  // REQUIRES: dimensions.size() <= 8, 1 <= max_groups <= 255.
  GroupInterner(std::vector<std::string> dimensions, int max_groups);

  int num_dimensions() const { return static_cast<int>(dims_.size()); }
  const std::string& dimension(int d) const { return dims_[d].name; }

  // Group id (0 = none) of event.attributes[dimension(d)], interning it.
  uint8_t GroupOf(const EventView& event, int d);
  // GroupOf(event, d) for every dimension d, in order, into groups[d].
  // REQUIRES: groups has num_dimensions() entries.
  void GroupsOf(const EventView& event, uint8_t* groups);
  // Profile id (0..0x7fff) of the event's groups in all dimensions.
  uint16_t ProfileOf(const EventView& event);
  // Profile id of groups[d] (from GroupsOf) over all dimensions.
  uint16_t ProfileOfGroups(const uint8_t* groups);
  // Group id of dimension d within `profile`.
  uint8_t ProfileGroup(uint16_t profile, int d) const {
    return static_cast<uint8_t>(profiles_[profile] >> (8 * d));
  }
  // Name of group `id` (>= 1) of dimension d.
  const std::string& GroupName(int d, uint8_t id) const {
    return dims_[d].names[id - 1];
  }

  // Events whose value of dimension d was folded into "no group" because
  // the dimension was full (since construction; not checkpointed).
  uint64_t overflow_events(int d) const { return dims_[d].overflow; }

  // Checkpoint access: group names per dimension and profile tuples.
  const std::vector<std::string>& group_names(int d) const {
    return dims_[d].names;
  }
  const std::vector<uint64_t>& profiles() const { return profiles_; }
  // Re-creates interned values in id order. REQUIRES a fresh interner.
  bool RestoreGroup(int d, std::string_view name);
  bool RestoreProfile(uint64_t packed);

 private:
  struct Dimension {
    std::string name;
    std::vector<std::string> names;  // group id i+1 -> names[i]
    absl::flat_hash_map<std::string, uint8_t> ids;
    uint64_t overflow = 0;
  };
  uint16_t InternProfile(uint64_t packed);
  // Group id of `value` (may be null: absent) in dimension d, interning it.
  uint8_t Intern(int d, const std::string_view* value);

  std::vector<Dimension> dims_;
  int max_groups_;
  std::vector<uint64_t> profiles_;  // profile id -> packed groups, 8 bits each
  absl::flat_hash_map<uint64_t, uint16_t> profile_ids_;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_GROUP_INTERNER_H_
