#include "daemon/ctl/rule_tester.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/alerts/alert_lifecycle.h"
#include "daemon/ctl/goal_replay.h"
#include "daemon/ctl/payment_checks.h"
#include "daemon/ctl/test_events.h"
#include "daemon/rules/duration.h"
#include "daemon/rules/rules_loader.h"

namespace outcomes {
namespace {

struct TestEnv {
  std::string file;
  LineIndex lines;
  StateSettings state;
  RuleSet rules;
  absl::Time start;
  absl::Duration interval = absl::Hours(1);
};

absl::Status Fail(const TestEnv& env, const std::string& path,
                  absl::string_view why) {
  return absl::InvalidArgumentError(env.lines.Error(path, why));
}

absl::Status ReadSettings(const v1::RuleTestFile& f, TestEnv& env) {
  if (!f.windows().empty()) env.state.windows_days.clear();
  for (int i = 0; i < f.windows_size(); ++i) {
    auto d = ParseDurationSpec(f.windows(i));
    if (!d.ok() || *d < absl::Hours(24) ||
        *d % absl::Hours(24) != absl::ZeroDuration()) {
      return Fail(env, absl::StrCat("windows[", i, "]"),
                  "expected whole days, e.g. 30d");
    }
    env.state.windows_days.push_back(static_cast<int>(*d / absl::Hours(24)));
  }
  if (f.enroll_within_days() > 0)
    env.state.enroll_within_days = f.enroll_within_days();
  if (f.min_cell() > 0) env.state.min_cell = f.min_cell();
  if (f.horizon_days() > 0) {
    env.state.horizon_days = static_cast<int>(
        std::min<int64_t>(f.horizon_days(), std::numeric_limits<int>::max()));
  }
  if (!f.dimensions().empty())
    env.state.dimensions.assign(f.dimensions().begin(), f.dimensions().end());
  if (absl::Status s = ValidateStateSettings(env.state); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(env.file, ": ", s.message()));
  }
  std::string err;
  const std::string start =
      f.start().empty() ? "2026-01-05T00:00:00Z" : f.start();
  if (!absl::ParseTime(absl::RFC3339_full, start, &env.start, &err)) {
    return Fail(env, "start", absl::StrCat("invalid RFC 3339 time: ", err));
  }
  if (!f.evaluation_interval().empty()) {
    auto d = ParseDurationSpec(f.evaluation_interval());
    if (!d.ok() || *d <= absl::ZeroDuration()) {
      return Fail(env, "evaluation_interval", "expected a positive duration");
    }
    env.interval = *d;
  }
  return absl::OkStatus();
}

absl::Status LoadRuleFiles(const v1::RuleTestFile& f, TestEnv& env) {
  const std::filesystem::path dir =
      std::filesystem::path(env.file).parent_path();
  std::vector<std::string> paths;
  for (const std::string& p : f.rule_files())
    paths.push_back((dir / p).string());
  if (paths.empty()) return Fail(env, "rule_files", "required");
  RuleSettings rs;
  rs.windows_days = env.state.windows_days;
  rs.dimensions = env.state.dimensions;
  rs.horizon_days = env.state.horizon_days;
  auto rules = LoadRules(paths, rs);
  if (!rules.ok()) return rules.status();
  env.rules = *std::move(rules);
  return absl::OkStatus();
}

std::string Show(const std::map<std::string, std::string>& m) {
  return absl::StrCat("{",
                      absl::StrJoin(m, ", ",
                                    [](std::string* out, const auto& kv) {
                                      absl::StrAppend(out, kv.first, "=\"",
                                                      kv.second, "\"");
                                    }),
                      "}");
}

std::string ShowAlerts(
    const std::vector<std::pair<AlertLabels, AlertAnnotations>>& alerts) {
  if (alerts.empty()) return "    (none)\n";
  std::string out;
  for (const auto& [labels, annotations] : alerts) {
    absl::StrAppend(&out, "    labels: ", Show(labels),
                    "\n    annotations: ", Show(annotations), "\n");
  }
  return out;
}

bool Matches(const v1::ExpectedAlert& exp, const std::string& alertname,
             const AlertInstance& a) {
  AlertLabels want(exp.exp_labels().begin(), exp.exp_labels().end());
  if (!alertname.empty()) want.emplace("alertname", alertname);
  if (want != a.labels) return false;
  for (const auto& [k, v] : exp.exp_annotations()) {
    auto it = a.annotations.find(k);
    if (it == a.annotations.end() || it->second != v) return false;
  }
  return true;
}

// Compares one check against the firing instances; "" when it passes.
std::string Compare(const v1::AlertCheck& check,
                    const std::vector<AlertInstance>& all) {
  std::vector<const AlertInstance*> firing;
  for (const AlertInstance& a : all) {
    if (a.phase != AlertPhase::kFiring) continue;
    if (!check.alertname().empty() &&
        a.labels.at("alertname") != check.alertname())
      continue;
    firing.push_back(&a);
  }
  std::vector<bool> used(firing.size(), false);
  bool ok = firing.size() == static_cast<size_t>(check.exp_alerts_size());
  for (const v1::ExpectedAlert& exp : check.exp_alerts()) {
    bool found = false;
    for (size_t i = 0; i < firing.size() && !found; ++i) {
      if (!used[i] && Matches(exp, check.alertname(), *firing[i]))
        used[i] = found = true;
    }
    ok = ok && found;
  }
  if (ok) return "";
  std::vector<std::pair<AlertLabels, AlertAnnotations>> want, got;
  for (const v1::ExpectedAlert& exp : check.exp_alerts()) {
    AlertLabels l(exp.exp_labels().begin(), exp.exp_labels().end());
    if (!check.alertname().empty()) l.emplace("alertname", check.alertname());
    want.push_back({l, AlertAnnotations(exp.exp_annotations().begin(),
                                        exp.exp_annotations().end())});
  }
  for (const AlertInstance* a : firing)
    got.push_back({a->labels, a->annotations});
  return absl::StrCat("  expected:\n", ShowAlerts(want), "  got:\n",
                      ShowAlerts(got));
}

absl::StatusOr<std::vector<DatedEvent>> Events(const TestEnv& env,
                                               const v1::RuleTest& t,
                                               const std::string& path) {
  const DayNumber start_day = DayOf(env.start, env.state.timezone);
  std::vector<DatedEvent> all;
  for (int i = 0; i < t.events_size(); ++i) {
    auto batch =
        ExpandEventBatch(t.events(i), i, start_day, env.state.timezone);
    if (!batch.ok()) {
      return Fail(env, absl::StrCat(path, ".events[", i, "]"),
                  batch.status().message());
    }
    all.insert(all.end(), batch->begin(), batch->end());
  }
  std::stable_sort(
      all.begin(), all.end(),
      [](const DatedEvent& a, const DatedEvent& b) { return a.day < b.day; });
  return all;
}

// Evaluation times: every interval up to the last check, plus each check.
absl::StatusOr<std::set<absl::Duration>> EvalTimes(const TestEnv& env,
                                                   const v1::RuleTest& t,
                                                   const std::string& path) {
  std::set<absl::Duration> times = {absl::ZeroDuration()};
  absl::Duration last;
  for (int i = 0; i < t.alert_rule_test_size(); ++i) {
    auto d = ParseDurationSpec(t.alert_rule_test(i).eval_time());
    if (!d.ok()) {
      return Fail(env,
                  absl::StrCat(path, ".alert_rule_test[", i, "].eval_time"),
                  d.status().message());
    }
    times.insert(*d);
    last = std::max(last, *d);
  }
  for (int i = 0; i < t.payment_test_size(); ++i) {
    auto d = ParseDurationSpec(t.payment_test(i).eval_time());
    if (!d.ok()) {
      return Fail(env, absl::StrCat(path, ".payment_test[", i, "].eval_time"),
                  d.status().message());
    }
    times.insert(*d);
  }
  for (absl::Duration d = env.interval; d < last; d += env.interval)
    times.insert(d);
  return times;
}

// The payment checks of `t` due at `at`.
absl::Status CheckPayments(const TestEnv& env, const v1::RuleTest& t,
                           const std::string& path, absl::Duration at,
                           const PartitionState& state, DayNumber today,
                           RuleTestReport& report) {
  for (int i = 0; i < t.payment_test_size(); ++i) {
    const v1::PaymentCheck& check = t.payment_test(i);
    if (*ParseDurationSpec(check.eval_time()) != at) continue;
    const std::string at_path = absl::StrCat(path, ".payment_test[", i, "]");
    auto diff =
        RunPaymentCheck(check, at_path, env.lines, env.rules, state, today);
    if (!diff.ok()) return diff.status();
    ++report.checks;
    if (diff->empty()) continue;
    report.failures.push_back(
        absl::StrCat(env.lines.Error(at_path, ""), "test \"", t.name(),
                     "\", eval_time ", check.eval_time(), ", payment ",
                     check.contract(), "/", check.provider(), "/",
                     check.component(), " (", check.period(), "):\n", *diff));
  }
  return absl::OkStatus();
}

absl::Status RunTest(const TestEnv& env, const v1::RuleTest& t, int index,
                     RuleTestReport& report) {
  const std::string path = absl::StrCat("tests[", index, "]");
  auto events = Events(env, t, path);
  if (!events.ok()) return events.status();
  auto times = EvalTimes(env, t, path);
  if (!times.ok()) return times.status();
  GoalReplay replay(env.state, env.rules, env.start);
  size_t next = 0;
  for (absl::Duration at : *times) {
    const absl::Time now = env.start + at;
    const DayNumber today = DayOf(now, env.state.timezone);
    for (; next < events->size() && (*events)[next].day <= today; ++next) {
      replay.Apply((*events)[next].event, (*events)[next].day, today);
    }
    replay.Evaluate(now, today);
    for (int i = 0; i < t.alert_rule_test_size(); ++i) {
      const v1::AlertCheck& check = t.alert_rule_test(i);
      if (*ParseDurationSpec(check.eval_time()) != at) continue;
      ++report.checks;
      const std::string diff = Compare(check, replay.Instances());
      if (diff.empty()) continue;
      report.failures.push_back(absl::StrCat(
          env.lines.Error(absl::StrCat(path, ".alert_rule_test[", i, "]"), ""),
          "test \"", t.name(), "\", eval_time ", check.eval_time(),
          check.alertname().empty()
              ? ""
              : absl::StrCat(", alertname ", check.alertname()),
          ":\n", diff));
    }
    if (absl::Status st =
            CheckPayments(env, t, path, at, replay.state(), today, report);
        !st.ok()) {
      return st;
    }
  }
  ++report.tests;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RuleTestReport> RunRuleTestFile(const std::string& path) {
  v1::RuleTestFile file;
  auto lines = LoadYamlFile(path, &file);
  if (!lines.ok()) return lines.status();
  TestEnv env{path,      *lines,       StateSettings{},
              RuleSet{}, absl::Time(), absl::Hours(1)};
  if (absl::Status s = ReadSettings(file, env); !s.ok()) return s;
  if (absl::Status s = LoadRuleFiles(file, env); !s.ok()) return s;
  RuleTestReport report;
  for (int i = 0; i < file.tests_size(); ++i) {
    if (absl::Status s = RunTest(env, file.tests(i), i, report); !s.ok())
      return s;
  }
  return report;
}

}  // namespace outcomes
