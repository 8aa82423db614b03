// libFuzzer target: a rules file (YAML text) through the strict YAML ->
// proto loader (YamlToProto) and the goal validator (ValidateRuleFile), as
// LoadRules does for each file. Seeds: corpus/rules/ (the shipped rules
// and variations), dictionary rules.dict.
//
// Invariants: nothing escapes (yaml-cpp exceptions are caught inside);
// every error names the file; a file without errors yields contracts that
// satisfy docs/goals.md (id, program and at least one goal or a payments block;
// unique goal names; a window of the daemon's unless stalled_referrals; targets
// in range; confidence in (0, 1); non-negative durations and min_sample; valid
// templates).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "daemon/rules/goal_metrics.h"
#include "daemon/rules/rules_loader.h"
#include "daemon/rules/template.h"
#include "outcomes/v1/rules.pb.h"
#include "tests/fuzz/fuzz_support.h"

namespace outcomes {
namespace {

constexpr char kFile[] = "fuzz.yaml";

void CheckGoal(const GoalSpec& g, const ContractSpec& c,
               const RuleSettings& settings) {
  FUZZ_CHECK(!g.name.empty() && !g.alert.empty() && !g.severity.empty());
  FUZZ_CHECK(g.contract == c.id && g.program == c.program);
  if (g.metric == v1::GOAL_METRIC_STALLED_REFERRALS) {
    FUZZ_CHECK(g.window.empty() && g.window_days == 0);
  } else {
    const auto& w = settings.windows_days;
    FUZZ_CHECK(std::find(w.begin(), w.end(), g.window_days) != w.end());
  }
  const bool proportion = MetricInfo(g.metric).proportion;
  auto in_range = [&](double v) {
    return std::isfinite(v) && v >= 0 && (!proportion || v <= 1);
  };
  FUZZ_CHECK(in_range(g.target));
  for (const auto& [provider, target] : g.provider_targets) {
    FUZZ_CHECK(!provider.empty() && in_range(target));
  }
  if (g.confidence.has_value()) {
    FUZZ_CHECK(proportion && *g.confidence > 0 && *g.confidence < 1);
  }
  FUZZ_CHECK(g.min_sample >= 0);
  FUZZ_CHECK(g.for_duration >= absl::ZeroDuration());
  FUZZ_CHECK(g.keep_firing_for >= absl::ZeroDuration());
  FUZZ_CHECK(CheckTemplate(g.summary).ok() &&
             CheckTemplate(g.description).ok());
}

void CheckValid(const std::vector<ContractSpec>& contracts,
                const RuleSettings& settings) {
  for (const ContractSpec& c : contracts) {
    FUZZ_CHECK(!c.id.empty() && !c.program.empty() &&
               (!c.goals.empty() || c.payments.has_value()));
    absl::flat_hash_set<std::string> names, providers;
    for (const std::string& p : c.providers) {
      FUZZ_CHECK(!p.empty() && providers.insert(p).second);
    }
    for (const GoalSpec& g : c.goals) {
      FUZZ_CHECK(names.insert(g.name).second);
      CheckGoal(g, c, settings);
    }
  }
}

void CheckErrors(const std::vector<std::string>& errors) {
  for (const std::string& e : errors) {
    if (!absl::StartsWith(e, kFile))
      std::fprintf(stderr, "error: %s\n", e.c_str());
    FUZZ_CHECK(absl::StartsWith(e, kFile));
  }
}

}  // namespace
}  // namespace outcomes

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  outcomes::fuzz::SilenceProtobufLogging();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace outcomes;
  const RuleSettings settings;
  v1::RuleFile file;
  const absl::StatusOr<LineIndex> lines =
      YamlToProto(absl::string_view(reinterpret_cast<const char*>(data), size),
                  kFile, &file);
  if (!lines.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(lines.status()));
    CheckErrors(absl::StrSplit(lines.status().message(), '\n'));
    return 0;
  }
  std::vector<ContractSpec> contracts;
  const std::vector<std::string> errors =
      ValidateRuleFile(file, *lines, settings, &contracts);
  FUZZ_CHECK(contracts.size() == static_cast<size_t>(file.contracts_size()));
  CheckErrors(errors);
  if (errors.empty()) CheckValid(contracts, settings);
  return 0;
}
