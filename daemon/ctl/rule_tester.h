// `outcomesctl test rules`: unit tests for contract goals, like
// `promtool test rules`. A test file (v1::RuleTestFile in rules.proto)
// names rule files, daemon settings, and tests; each test lists input
// events in compact notation (v1::EventBatch) and alert checks
// (eval_time, alertname, exp_alerts). The tester replays the events into a
// real PartitionState, evaluates the goals every evaluation_interval with
// the real evaluator and alert lifecycle on a fake clock, and compares the
// *firing* alerts at each eval_time: labels exactly (alertname included),
// annotations only those listed. An empty exp_alerts asserts that nothing
// (of that alertname) fires.
//
// Thread safety: pure function (reads files).
#ifndef OUTCOMESD_DAEMON_CTL_RULE_TESTER_H_
#define OUTCOMESD_DAEMON_CTL_RULE_TESTER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace outcomes {

struct RuleTestReport {
  int tests = 0;
  int checks = 0;
  std::vector<std::string> failures;  // one multi-line message each
};

// Runs every test of `path`. Errors (bad test file, invalid rules) are
// returned as InvalidArgument; failed expectations are in the report.
absl::StatusOr<RuleTestReport> RunRuleTestFile(const std::string& path);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_CTL_RULE_TESTER_H_
