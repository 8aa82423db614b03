// Small-cell suppression of subgroup rates (docs/metrics.md group_rate,
// --min_cell). The rule, also stated in FUNNEL_RULES.md, applied separately
// to each (provider, program, window, metric, dimension):
//
//  1. Primary: a group whose denominator is below min_cell is suppressed.
//  2. Complementary: if any group is suppressed and the suppressed groups'
//     denominators sum to less than min_cell, the unsuppressed group with
//     the smallest denominator (ties: smallest group name) is suppressed too.
//
// After step 2 the suppressed groups together hold at least min_cell cases
// (or every group is suppressed), so subtracting the shown groups from the
// overall rate never isolates a cell below min_cell, even for a reader who
// knows how many events lack the attribute.
#ifndef OUTCOMESD_DAEMON_STATE_SUPPRESSION_H_
#define OUTCOMESD_DAEMON_STATE_SUPPRESSION_H_

#include <vector>

#include "daemon/state/figures.h"

namespace outcomes {

// Sets GroupRate::suppressed on `groups`, which must all belong to one
// dimension. REQUIRES: min_cell >= 1.
void SuppressSmallCells(int min_cell, std::vector<GroupRate*>& groups);

// Applies SuppressSmallCells to each dimension's groups in `groups`.
void SuppressByDimension(int min_cell, std::vector<GroupRate>& groups);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_STATE_SUPPRESSION_H_
