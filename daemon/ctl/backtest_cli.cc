#include "daemon/ctl/backtest_cli.h"

#include <cstdio>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "daemon/ctl/backtest.h"
#include "daemon/ingest/event_decoder.h"
#include "daemon/rules/duration.h"
#include "daemon/rules/rules_loader.h"

namespace outcomes {
namespace {

struct BacktestArgs {
  std::string rules;
  std::string events;
  BacktestOptions options;
};

absl::Status Bad(absl::string_view flag, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", why));
}

absl::StatusOr<std::vector<int>> ParseWindows(absl::string_view text) {
  std::vector<int> days;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    auto d = ParseDurationSpec(item);
    if (!d.ok() || *d <= absl::ZeroDuration() ||
        *d % absl::Hours(24) != absl::ZeroDuration()) {
      return Bad("windows", absl::StrCat("'", item,
                                         "' is not a whole number of days "
                                         "like 30d or 1w"));
    }
    days.push_back(static_cast<int>(*d / absl::Hours(24)));
  }
  if (days.empty()) return Bad("windows", "empty");
  return days;
}

absl::Status ParseInt(absl::string_view flag, absl::string_view value,
                      int* out) {
  if (!absl::SimpleAtoi(value, out)) {
    return Bad(flag, absl::StrCat("'", value, "' is not an integer"));
  }
  return absl::OkStatus();
}

// One --name=value into *a.
absl::Status ParseFlag(absl::string_view name, absl::string_view value,
                       BacktestArgs* a) {
  StateSettings& s = a->options.state;
  if (name == "rules") {
    a->rules = std::string(value);
  } else if (name == "events") {
    a->events = std::string(value);
  } else if (name == "from" || name == "to") {
    auto day = ParseDayArg(value);
    if (!day.ok()) return Bad(name, day.status().message());
    (name == "from" ? a->options.from : a->options.to) = *day;
  } else if (name == "windows") {
    auto w = ParseWindows(value);
    if (!w.ok()) return w.status();
    s.windows_days = *w;
  } else if (name == "enroll_within") {
    return ParseInt(name, value, &s.enroll_within_days);
  } else if (name == "min_cell") {
    return ParseInt(name, value, &s.min_cell);
  } else if (name == "horizon") {
    return ParseInt(name, value, &s.horizon_days);
  } else if (name == "dimensions") {
    s.dimensions = absl::StrSplit(value, ',', absl::SkipEmpty());
  } else if (name == "timezone") {
    if (!absl::LoadTimeZone(std::string(value), &s.timezone)) {
      return Bad(name, absl::StrCat("unknown time zone '", value, "'"));
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
  }
  return absl::OkStatus();
}

absl::StatusOr<BacktestArgs> ParseArgs(const std::vector<std::string>& args) {
  BacktestArgs a;
  for (const std::string& arg : args) {
    const size_t eq = arg.find('=');
    if (!absl::StartsWith(arg, "--") || eq == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected --flag=value, got '", arg, "'"));
    }
    const absl::string_view text(arg);
    if (absl::Status s =
            ParseFlag(text.substr(2, eq - 2), text.substr(eq + 1), &a);
        !s.ok()) {
      return s;
    }
  }
  if (a.rules.empty() || a.events.empty()) {
    return absl::InvalidArgumentError("--rules and --events are required");
  }
  if (absl::Status s = ValidateStateSettings(a.options.state); !s.ok()) {
    return s;
  }
  return a;
}

// Runs the backtest of valid arguments; prints errors, returns the status.
int Run(const BacktestArgs& a) {
  auto fail = [](const absl::Status& s) {
    std::fprintf(stderr, "outcomesctl backtest: %s\n",
                 std::string(s.message()).c_str());
    return 1;
  };
  auto files = CollectRuleFiles({a.rules});
  if (!files.ok()) return fail(files.status());
  const StateSettings& s = a.options.state;
  auto rules = LoadRules(*files, RuleSettings{s.windows_days, s.dimensions});
  if (!rules.ok()) return fail(rules.status());
  ValidationSettings v;
  v.timezone = s.timezone;
  v.horizon_days = s.horizon_days;
  auto history = EventHistory::Read(a.events, v);
  if (!history.ok()) return fail(history.status());
  auto report = RunBacktest(*rules, *history, a.options);
  if (!report.ok()) return fail(report.status());
  for (const AlertTransition& t : report->transitions) {
    std::printf("%s\n", DumpJson(TransitionJson(t)).c_str());
  }
  std::printf("\n%s", SummaryTable(*report).c_str());
  return 0;
}

}  // namespace

int RunBacktestCommand(const std::vector<std::string>& args) {
  auto parsed = ParseArgs(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "outcomesctl backtest: %s\nusage:\n%s",
                 std::string(parsed.status().message()).c_str(),
                 kBacktestUsage);
    return 2;
  }
  return Run(*parsed);
}

}  // namespace outcomes
