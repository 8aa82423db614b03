// Where the meeting brief's figures come from in an evaluation's snapshot
// (docs/design.md, "Brief, payments and backtest"): the provider's own, and
// the other providers' of the program it is ranked among. Pointers into the
// snapshot, never copies: the caller keeps the snapshot alive (the
// evaluation loop's shared_ptr) while it uses them.
//
// Thread safety: pure functions over a snapshot nobody writes.
#ifndef OUTCOMESD_DAEMON_BRIEF_BRIEF_FIGURES_H_
#define OUTCOMESD_DAEMON_BRIEF_BRIEF_FIGURES_H_

#include <set>
#include <string>
#include <vector>

#include "daemon/state/state_store.h"

namespace outcomes {

struct OwnFigures {
  // Of the program asked for: the first partition (by PartitionId) holding
  // it, as the JSON API; null when none does.
  const ProgramFigures* figures = nullptr;
  const PartitionFigures* partition = nullptr;
  std::set<std::string> programs;  // every program of the provider
};

// A binary search per partition (its programs are sorted by provider,
// program): work in the number of partitions, not of providers.
OwnFigures FindOwnFigures(const StoreSnapshot& snapshot,
                          const std::string& provider,
                          const std::string& program);

// The figures of every other provider of `program` that may be judged, for
// ranks: each provider's first partition, and only when that partition is
// ready (a partition being rebuilt holds partial counts, which are neither
// judged nor ranked).
std::vector<const ProgramFigures*> RankedFigures(const StoreSnapshot& snapshot,
                                                 const std::string& provider,
                                                 const std::string& program);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_BRIEF_BRIEF_FIGURES_H_
