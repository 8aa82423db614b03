// The command line of `outcomesctl backtest` (docs/design.md, "Brief, payments
// and backtest"):
//
//   outcomesctl backtest --rules=PATH --events=FILE [--from=YYYY-MM-DD]
//       [--to=YYYY-MM-DD] [--windows=7d,30d,90d] [--enroll_within=14]
//       [--min_cell=11] [--dimensions=race_ethnicity] [--timezone=UTC]
//       [--horizon=120]
//
// The settings flags mean what the daemon's do, with the same defaults.
// Prints one JSON line per alert transition to stdout, then the summary
// table (backtest.h). Exit status: 0 done, 1 invalid rules or events (the
// first bad event line is named as FILE:LINE), 2 usage error (unknown or
// malformed flag, e.g. a date that is not YYYY-MM-DD).
#ifndef OUTCOMESD_DAEMON_CTL_BACKTEST_CLI_H_
#define OUTCOMESD_DAEMON_CTL_BACKTEST_CLI_H_

#include <string>
#include <vector>

namespace outcomes {

inline constexpr char kBacktestUsage[] =
    "       outcomesctl backtest --rules=PATH --events=FILE "
    "[--from=YYYY-MM-DD] [--to=YYYY-MM-DD]\n"
    "           [--windows=7d,30d,90d] [--enroll_within=14] [--min_cell=11]\n"
    "           [--dimensions=race_ethnicity] [--timezone=UTC] "
    "[--horizon=120]\n";

// `args`: the arguments after "backtest".
int RunBacktestCommand(const std::vector<std::string>& args);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_CTL_BACKTEST_CLI_H_
