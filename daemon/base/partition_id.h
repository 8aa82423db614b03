// Identity of one Kafka partition: the unit that owns state (docs/design.md,
// "Parts and layers").
#ifndef OUTCOMESD_DAEMON_BASE_PARTITION_ID_H_
#define OUTCOMESD_DAEMON_BASE_PARTITION_ID_H_

#include <compare>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace outcomes {

struct PartitionId {
  std::string topic;
  int32_t partition = 0;

  bool operator==(const PartitionId&) const = default;
  auto operator<=>(const PartitionId&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const PartitionId& id) {
    return H::combine(std::move(h), id.topic, id.partition);
  }
  std::string ToString() const { return absl::StrCat(topic, "/", partition); }
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_BASE_PARTITION_ID_H_
