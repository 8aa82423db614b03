// outcomesctl: tooling for contract goal files, like promtool.
//
//   outcomesctl check rules [--windows=7d,30d,90d]
//   [--dimensions=race_ethnicity] [--horizon=120] PATH...
//   outcomesctl test rules TEST.yaml|DIR...
//   outcomesctl backtest --rules=PATH --events=FILE ... (backtest_cli.h)
//   outcomesctl brief --url=URL --provider=ID ...   (brief_command.h)
//
// Exit status: 0 all good, 1 invalid rules or failed tests, 2 usage error.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "daemon/ctl/backtest_cli.h"
#include "daemon/ctl/brief_command.h"
#include "daemon/ctl/rule_tester.h"
#include "daemon/rules/duration.h"
#include "daemon/rules/rules_loader.h"

namespace outcomes {
namespace {

constexpr char kUsage[] =
    "usage: outcomesctl check rules [--windows=7d,30d,90d] "
    "[--dimensions=race_ethnicity] [--horizon=120] PATH...\n"
    "       outcomesctl test rules TEST.yaml|DIR...\n"
    "       outcomesctl brief --url=URL --provider=ID [--program=P] "
    "[--period=month|quarter] [--format=html|markdown|json] [--out=FILE]\n";

int Usage() {
  std::fputs(kUsage, stderr);
  std::fputs(kBacktestUsage, stderr);
  return 2;
}

// Parses --windows / --dimensions / --horizon; the rest go to *paths. False on
// error.
bool ParseCheckArgs(const std::vector<std::string>& args, RuleSettings* s,
                    std::vector<std::string>* paths) {
  for (const std::string& a : args) {
    if (absl::StartsWith(a, "--windows=")) {
      s->windows_days.clear();
      for (absl::string_view w : absl::StrSplit(a.substr(10), ',')) {
        auto d = ParseDurationSpec(w);
        if (!d.ok() || *d < absl::Hours(24)) return false;
        s->windows_days.push_back(static_cast<int>(*d / absl::Hours(24)));
      }
    } else if (absl::StartsWith(a, "--dimensions=")) {
      s->dimensions = absl::StrSplit(a.substr(13), ',', absl::SkipEmpty());
    } else if (absl::StartsWith(a, "--horizon=")) {
      if (!absl::SimpleAtoi(a.substr(10), &s->horizon_days) ||
          s->horizon_days < 1) {
        return false;
      }
    } else if (absl::StartsWith(a, "--")) {
      return false;
    } else {
      paths->push_back(a);
    }
  }
  return !paths->empty();
}

int CheckRules(const std::vector<std::string>& args) {
  RuleSettings settings;
  std::vector<std::string> paths;
  if (!ParseCheckArgs(args, &settings, &paths)) return Usage();
  auto files = CollectRuleFiles(paths);
  if (!files.ok()) {
    std::fprintf(stderr, "  FAILED:\n%s\n",
                 std::string(files.status().message()).c_str());
    return 1;
  }
  bool ok = true;
  for (const std::string& file : *files) {
    std::printf("Checking %s\n", file.c_str());
    auto rules = LoadRules({file}, settings);
    if (!rules.ok()) {
      ok = false;
      std::fprintf(stderr, "  FAILED:\n%s\n\n",
                   std::string(rules.status().message()).c_str());
      continue;
    }
    std::printf("  SUCCESS: %zu contracts, %d goals found\n\n",
                rules->contracts.size(), rules->num_goals());
  }
  if (ok && files->size() > 1) {  // cross-file checks (duplicate contract ids)
    auto all = LoadRules(*files, settings);
    if (!all.ok()) {
      std::fprintf(stderr, "FAILED:\n%s\n",
                   std::string(all.status().message()).c_str());
      ok = false;
    }
  }
  return ok ? 0 : 1;
}

int TestRules(const std::vector<std::string>& args) {
  if (args.empty()) return Usage();
  auto files =
      CollectRuleFiles(args);  // same expansion: files or *.yaml of dirs
  if (!files.ok()) {
    std::fprintf(stderr, "%s\n", std::string(files.status().message()).c_str());
    return 1;
  }
  bool ok = true;
  for (const std::string& file : *files) {
    std::printf("Unit Testing: %s\n", file.c_str());
    auto report = RunRuleTestFile(file);
    if (!report.ok()) {
      ok = false;
      std::fprintf(stderr, "  FAILED:\n%s\n\n",
                   std::string(report.status().message()).c_str());
      continue;
    }
    if (!report->failures.empty()) {
      ok = false;
      std::fprintf(stderr, "  FAILED:\n");
      for (const std::string& f : report->failures)
        std::fprintf(stderr, "%s\n", f.c_str());
      continue;
    }
    std::printf("  SUCCESS: %d tests, %d checks\n\n", report->tests,
                report->checks);
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace outcomes

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "backtest") {
    return outcomes::RunBacktestCommand({args.begin() + 1, args.end()});
  }
  if (!args.empty() && args[0] == "brief") {
    return outcomes::RunBriefCommand({args.begin() + 1, args.end()});
  }
  if (args.size() < 2 || args[1] != "rules") return outcomes::Usage();
  const std::string command = args[0];
  args.erase(args.begin(), args.begin() + 2);
  if (command == "check") return outcomes::CheckRules(args);
  if (command == "test") return outcomes::TestRules(args);
  return outcomes::Usage();
}
