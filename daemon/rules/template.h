// Summary/description templates of goals: text with {{variable}} (spaces
// inside the braces allowed), e.g.
//   "{{provider}} enrollment rate {{value}} below target {{target}}".
// Variables (kTemplateVariables): alertname, contract, provider, program,
// goal, severity, metric, window, value, target, sample_size, dimension,
// group, explanation.
//
// Thread safety: pure functions.
#ifndef OUTCOMESD_DAEMON_RULES_TEMPLATE_H_
#define OUTCOMESD_DAEMON_RULES_TEMPLATE_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace outcomes {

using TemplateVars = absl::flat_hash_map<std::string, std::string>;

// OK when every {{...}} is closed and names a known variable; otherwise
// InvalidArgument naming the first problem, e.g.
//   unknown template variable "provder" (known: alertname, ...)
absl::Status CheckTemplate(absl::string_view text);

// Replaces each {{name}} by vars[name] ("" when absent). REQUIRES:
// CheckTemplate(text).ok() (malformed parts are copied verbatim).
std::string RenderTemplate(absl::string_view text, const TemplateVars& vars);

}  // namespace outcomes

#endif  // OUTCOMESD_DAEMON_RULES_TEMPLATE_H_
