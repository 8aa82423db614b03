// Validated contract goals as plain C++ values: what the goal evaluator,
// alert lifecycle and HTTP API use. Built only by LoadRules
// (daemon/rules/rules_loader.h) from the rules.proto messages.
//
// Thread safety: immutable values; share a const RuleSet freely (main keeps
// it in a std::shared_ptr<const RuleSet> and swaps it on reload).
#ifndef OUTCOMESD_DAEMON_RULES_GOAL_SPEC_H_
#define OUTCOMESD_DAEMON_RULES_GOAL_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "daemon/rules/payment_spec.h"
#include "outcomes/v1/rules.pb.h"

namespace outcomes {

// The goal's metric; what each one means is in the goal-metric table
// (daemon/rules/goal_metrics.h).
using GoalMetric = v1::GoalMetric;

enum class GoalRate { kEnrollment, kCompletion };
enum class GoalStage { kReferral, kEnrollment };

struct GoalSpec {
  std::string contract;     // owning contract's id
  std::string program;      // owning contract's program
  std::string name;         // label `goal`
  std::string alert;        // label `alertname`
  std::string metric_name;  // as written, e.g. "window_events:referral"
  GoalMetric metric = v1::GOAL_METRIC_UNSPECIFIED;
  int event_kind = -1;                       // kWindowEvents: EventKind index
  GoalRate rate = GoalRate::kEnrollment;     // kGroupRateRatio
  std::string dimension;                     // kGroupRateRatio
  GoalStage stage = GoalStage::kEnrollment;  // kPriorityShare
  std::string window;                        // "30d"; "" for kStalledReferrals
  int window_days = 0;                       // 0 for kStalledReferrals
  bool is_min = true;  // min (shortfall below) or max (above)
  double target = 0;
  absl::flat_hash_map<std::string, double> provider_targets;  // overrides
  int64_t min_sample = 0;
  absl::Duration for_duration;
  absl::Duration keep_firing_for;
  std::string severity;
  std::string summary;      // template; may be empty (default used)
  std::string description;  // template; may be empty (default used)
  std::optional<double> confidence;
  std::string source;  // "file:line" of the goal, for messages

  double TargetFor(const std::string& provider) const {
    if (provider_targets.empty()) return target;  // no hashing per result
    auto it = provider_targets.find(provider);
    return it == provider_targets.end() ? target : it->second;
  }
};

struct ContractSpec {
  std::string id;
  std::string program;
  std::vector<std::string> providers;  // empty = every provider
  std::vector<GoalSpec> goals;
  std::optional<PaymentSpec> payments;  // the payments block, if any
  std::string source;                   // "file:line"

  bool AppliesTo(const std::string& provider,
                 const std::string& program_id) const;
};

struct RuleSet {
  std::vector<std::string> files;  // the files loaded, sorted
  std::vector<ContractSpec> contracts;
  int num_goals() const;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_RULES_GOAL_SPEC_H_
