#include "daemon/state/suppression.h"

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"

namespace outcomes {

void SuppressSmallCells(int min_cell, std::vector<GroupRate*>& groups) {
  int64_t suppressed_total = 0;
  bool any_suppressed = false;
  GroupRate* smallest_shown = nullptr;
  for (GroupRate* g : groups) {
    g->suppressed = g->rate.denominator < min_cell;
    if (g->suppressed) {
      any_suppressed = true;
      suppressed_total += g->rate.denominator;
      continue;
    }
    if (smallest_shown == nullptr ||
        g->rate.denominator < smallest_shown->rate.denominator ||
        (g->rate.denominator == smallest_shown->rate.denominator &&
         g->group < smallest_shown->group)) {
      smallest_shown = g;
    }
  }
  if (any_suppressed && suppressed_total < min_cell &&
      smallest_shown != nullptr) {
    smallest_shown->suppressed = true;
  }
}

void SuppressByDimension(int min_cell, std::vector<GroupRate>& groups) {
  absl::flat_hash_map<std::string, std::vector<GroupRate*>> by_dimension;
  for (GroupRate& g : groups) by_dimension[g.dimension].push_back(&g);
  for (auto& [dimension, members] : by_dimension) {
    SuppressSmallCells(min_cell, members);
  }
}

}  // namespace outcomes
