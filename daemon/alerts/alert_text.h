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

#include <string>
#include <vector>

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

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_ALERTS_ALERT_TEXT_H_
