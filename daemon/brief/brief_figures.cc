#include "daemon/brief/brief_figures.h"

#include <algorithm>
#include <string_view>

#include "absl/container/flat_hash_set.h"

namespace outcomes {

OwnFigures FindOwnFigures(const StoreSnapshot& snapshot,
                          const std::string& provider,
                          const std::string& program) {
  OwnFigures own;
  for (const PartitionFigures& part : snapshot.partitions) {
    auto it =
        std::lower_bound(part.programs.begin(), part.programs.end(), provider,
                         [](const ProgramFigures& p, const std::string& id) {
                           return p.provider < id;
                         });
    for (; it != part.programs.end() && it->provider == provider; ++it) {
      own.programs.insert(it->program);
      if (it->program == program && own.figures == nullptr) {
        own.figures = &*it;
        own.partition = &part;
      }
    }
  }
  return own;
}

std::vector<const ProgramFigures*> RankedFigures(const StoreSnapshot& snapshot,
                                                 const std::string& provider,
                                                 const std::string& program) {
  std::vector<const ProgramFigures*> out;
  absl::flat_hash_set<std::string_view> seen = {provider};
  for (const PartitionFigures& part : snapshot.partitions) {
    for (const ProgramFigures& p : part.programs) {
      if (p.program != program || !seen.insert(p.provider).second) continue;
      if (part.ready) out.push_back(&p);
    }
  }
  return out;
}

}  // namespace outcomes
