// Computes one provider+program's figures (docs/metrics.md) from its rings and
// funnels. Internal to PartitionState; separate so each file stays small.
#ifndef OUTCOMESD_DAEMON_STATE_PROGRAM_FIGURES_H_
#define OUTCOMESD_DAEMON_STATE_PROGRAM_FIGURES_H_

#include "daemon/base/day.h"
#include "daemon/state/figures.h"
#include "daemon/state/group_interner.h"
#include "daemon/state/partition_state.h"
#include "daemon/state/state_settings.h"

namespace outcomes {

struct FigureInputs {
  const StateSettings& settings;
  const GroupInterner& groups;
  DayNumber today;
  DayNumber epoch;  // the partition's funnel-day epoch
};

// Pure function of its inputs; cost O(funnels x windows + horizon x windows).
ProgramFigures ComputeProgramFigures(const ProgramState& program,
                                     const FigureInputs& in);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_PROGRAM_FIGURES_H_
