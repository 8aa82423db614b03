#include "daemon/rules/template.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace outcomes {
namespace {

constexpr std::array<absl::string_view, 14> kVariables = {
    "alertname",   "contract",  "provider", "program",    "goal",
    "severity",    "metric",    "window",   "value",      "target",
    "sample_size", "dimension", "group",    "explanation"};

bool Known(absl::string_view name) {
  for (absl::string_view v : kVariables) {
    if (v == name) return true;
  }
  return false;
}

// Finds the next "{{" at or after `pos`; sets *name and *end (one past
// "}}"). Returns false when there is none; *unclosed when "{{" has no "}}".
bool NextVariable(absl::string_view text, size_t pos, size_t* start,
                  size_t* end, absl::string_view* name, bool* unclosed) {
  *unclosed = false;
  *start = text.find("{{", pos);
  if (*start == absl::string_view::npos) return false;
  const size_t close = text.find("}}", *start + 2);
  if (close == absl::string_view::npos) {
    *unclosed = true;
    return false;
  }
  *name =
      absl::StripAsciiWhitespace(text.substr(*start + 2, close - *start - 2));
  *end = close + 2;
  return true;
}

}  // namespace

absl::Status CheckTemplate(absl::string_view text) {
  size_t pos = 0, start = 0, end = 0;
  absl::string_view name;
  bool unclosed = false;
  while (NextVariable(text, pos, &start, &end, &name, &unclosed)) {
    if (!Known(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown template variable \"", name,
                       "\" (known: ", absl::StrJoin(kVariables, ", "), ")"));
    }
    pos = end;
  }
  if (unclosed) {
    return absl::InvalidArgumentError(
        absl::StrCat("unclosed \"{{\" at offset ", start));
  }
  return absl::OkStatus();
}

std::string RenderTemplate(absl::string_view text, const TemplateVars& vars) {
  std::string out;
  size_t pos = 0, start = 0, end = 0;
  absl::string_view name;
  bool unclosed = false;
  while (NextVariable(text, pos, &start, &end, &name, &unclosed)) {
    absl::StrAppend(&out, text.substr(pos, start - pos));
    auto it = vars.find(std::string(name));
    if (it != vars.end()) absl::StrAppend(&out, it->second);
    pos = end;
  }
  absl::StrAppend(&out, text.substr(pos));
  return out;
}

}  // namespace outcomes
