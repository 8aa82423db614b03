// Labels and annotations of the alert for one goal result (docs/goals.md,
// "Alerts"): labels alertname, contract, provider, program, goal, severity (+
// dimension, group for group_rate_ratio); annotations summary, description,
// value, target, sample_size. The goal's summary/description templates are
// rendered with TemplateVarsOf; without a template, a default is used. The
// default description is a full sentence with value, target, window and sample
// size, followed by the evaluator's explanation.
//
// Thread safety: pure functions.
#ifndef OUTCOMESD_DAEMON_ALERTS_ALERT_TEXT_H_
#define OUTCOMESD_DAEMON_ALERTS_ALERT_TEXT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "daemon/alerts/alert_types.h"
#include "daemon/alerts/goal_evaluator.h"
#include "daemon/rules/template.h"

namespace outcomes {

// REQUIRES (all functions): result.goal != nullptr.
AlertLabels LabelsOf(const GoalResult& result);
TemplateVars TemplateVarsOf(const GoalResult& result);
std::string DefaultSummary(const GoalResult& result);
std::string DefaultDescription(const GoalResult& result);
AlertAnnotations AnnotationsOf(const GoalResult& result);

// The lifecycle inputs: one per result in shortfall.
std::vector<AlertInput> ShortfallInputs(const std::vector<GoalResult>& results);

// The same inputs, kept from one evaluation to the next: the input of a
// result with the same goal, provider, program, group, value, target,
// sample size and explanation as in the previous call (under the same
// rules) is reused as is, its labels and annotations not built again;
// building the text of every held alert each cycle would cost more than
// judging the goals.
//
// Thread safety: none (one evaluation thread).
class ShortfallInputCache {
 public:
  // Pointers into the cache, valid until the next call. `rules` is the
  // RuleSet the results' goals point into.
  std::vector<const AlertInput*> Inputs(
      const std::vector<GoalResult>& results,
      const std::shared_ptr<const RuleSet>& rules);

 private:
  using Key = std::tuple<const GoalSpec*, std::string, std::string, std::string,
                         std::string>;
  struct Entry {
    AlertInput input;
    std::optional<double> value;
    std::string explanation;
    uint64_t call = 0;    // the last call that used it
    size_t position = 0;  // its index in order_ after that call
  };
  using Map = absl::node_hash_map<Key, Entry>;  // stable addresses
  // The entry of `r`'s key (added when new).
  Map::value_type& Find(const GoalResult& r, uint64_t call);

  std::shared_ptr<const RuleSet> rules_;  // what the entries were built for
  Map entries_;
  // The entries used by the last call, in that call's order. The results
  // come in the same order every evaluation, so the entry of a result is
  // usually the one after the previous result's: found without hashing.
  std::vector<Map::value_type*> order_;
  size_t cursor_ = 0;  // into order_, during a call
  uint64_t calls_ = 0;
};

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_ALERTS_ALERT_TEXT_H_
