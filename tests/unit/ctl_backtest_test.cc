// outcomesctl backtest (daemon/ctl/backtest.h): transitions on a hand-made
// history asserted day by day, the history reader's errors (file:line),
// dedupe, --from/--to, and date parsing.
#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "daemon/ctl/backtest.h"
#include "daemon/rules/rules_loader.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

// Two goals on referrals in the last 3 days (min 2): one with for 2d and
// keep_firing_for 1d, one with for 0s. As tests/backtest/rules.yaml.
const char kRules[] =
    "contracts:\n"
    "  - id: bt\n"
    "    program: prog\n"
    "    goals:\n"
    "      - {name: referrals, alert: Few, metric: 'window_events:referral',\n"
    "         window: 3d, min: 2, for: 2d, keep_firing_for: 1d,\n"
    "         severity: warning}\n"
    "      - {name: now, alert: FewNow, metric: 'window_events:referral',\n"
    "         window: 3d, min: 2, for: 0s, severity: info}\n";

std::string Referral(const std::string& provider, int day,
                     const std::string& id = "") {
  return absl::StrFormat(
      R"({"eventId":"%s","type":"EVENT_TYPE_REFERRAL",)"
      R"("occurredAt":"2025-03-%02dT10:00:00Z","providerId":"%s",)"
      R"("programId":"prog","clientKey":"c-%s-%d"})",
      id.empty() ? absl::StrCat(provider, "-", day) : id, day + 1, provider,
      provider, day);
}

class BacktestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_.windows_days = {3};
    settings_.enroll_within_days = 1;
    settings_.horizon_days = 30;
    const std::string rules_path = Write("rules.yaml", kRules);
    auto rules = LoadRules({rules_path}, RuleSettings{{3}, {}});
    ASSERT_TRUE(rules.ok()) << rules.status();
    rules_ = *rules;
  }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = ::testing::TempDir() + "/bt_" + name;
    std::ofstream(path) << text;
    return path;
  }

  // p1 and p2 as in tests/backtest/README.md, newest first (any order).
  std::string History() {
    std::vector<std::string> lines;
    for (int d : {0, 1, 2, 3, 4, 5, 11, 12, 13, 14, 15, 16})
      lines.push_back(Referral("p1", d));
    for (int d : {0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16})
      lines.push_back(Referral("p2", d));
    lines.push_back(Referral("p1", 7, "p1-5"));  // a re-sent p1-5: dropped
    std::reverse(lines.begin(), lines.end() - 1);
    return absl::StrJoin(lines, "\n") + "\n";
  }

  absl::StatusOr<EventHistory> Read(const std::string& text) {
    ValidationSettings v;
    v.horizon_days = 30;
    return EventHistory::Read(Write("h.jsonl", text), v);
  }

  // "day alertname provider state value" per transition.
  std::vector<std::string> Run(std::optional<DayNumber> from = std::nullopt) {
    auto history = Read(History());
    EXPECT_TRUE(history.ok()) << history.status();
    BacktestOptions o{settings_, from, std::nullopt};
    auto report = RunBacktest(rules_, *history, o);
    EXPECT_TRUE(report.ok()) << report.status();
    report_ = *report;
    std::vector<std::string> out;
    for (const AlertTransition& t : report_.transitions) {
      out.push_back(absl::StrCat(FormatDay(t.day), " ",
                                 t.labels.at("alertname"), " ",
                                 t.labels.at("provider"), " ",
                                 AlertPhaseName(t.state), " ", *t.value));
    }
    return out;
  }

  StateSettings settings_;
  RuleSet rules_;
  BacktestReport report_;
};

TEST_F(BacktestTest, TransitionsOfTheHandMadeHistory) {
  // Judged from day 4 (a 3d window + M=1 needs days 0..3 of history).
  // p1: 1 referral in the window on day 7, 0 on 8-10, 1 on 11, 2 on 12.
  // p2: 1 on days 9 and 10, 2 on day 11.
  EXPECT_EQ(
      Run(),
      (std::vector<std::string>{
          "2025-03-08 Few p1 pending 1", "2025-03-08 FewNow p1 firing 1",
          "2025-03-10 Few p1 firing 0", "2025-03-10 Few p2 pending 1",
          "2025-03-10 FewNow p2 firing 1",
          "2025-03-12 Few p2 resolved 2",  // pending, not fired
          "2025-03-12 FewNow p2 resolved 2", "2025-03-13 FewNow p1 resolved 2",
          "2025-03-14 Few p1 resolved 3",  // keep_firing_for 1d
      }));
  EXPECT_EQ(FormatDay(report_.from), "2025-03-01");
  EXPECT_EQ(FormatDay(report_.to), "2025-03-17");
  EXPECT_EQ(report_.events_counted, 27);
  ASSERT_EQ(report_.goals.size(), 2u);
  EXPECT_EQ(report_.goals[0].alerts_fired, 1);
  EXPECT_EQ(report_.goals[0].provider_days_firing, 4);  // p1: days 9-12
  EXPECT_EQ(report_.goals[0].providers_affected, std::set<std::string>{"p1"});
  EXPECT_EQ(report_.goals[0].providers_judged.size(), 2u);
  EXPECT_EQ(report_.goals[1].alerts_fired, 2);
  EXPECT_EQ(report_.goals[1].provider_days_firing, 7);  // p1 7-11, p2 9-10
  EXPECT_EQ(report_.goals[1].providers_affected.size(), 2u);
}

TEST_F(BacktestTest, LifecycleStartsAtFrom) {
  // From day 9: the `for` of p1's Few starts there, so it fires on day 11.
  EXPECT_EQ(Run(*ParseDayArg("2025-03-10")),
            (std::vector<std::string>{
                "2025-03-10 Few p1 pending 0",
                "2025-03-10 Few p2 pending 1",
                "2025-03-10 FewNow p1 firing 0",
                "2025-03-10 FewNow p2 firing 1",
                "2025-03-12 Few p1 firing 1",
                "2025-03-12 Few p2 resolved 2",
                "2025-03-12 FewNow p2 resolved 2",
                "2025-03-13 FewNow p1 resolved 2",
                "2025-03-14 Few p1 resolved 3",
            }));
}

TEST_F(BacktestTest, TransitionJsonKeysInContractOrder) {
  AlertTransition t{*ParseDayArg("2025-03-08"),
                    {{"alertname", "A"},
                     {"contract", "c"},
                     {"provider", "p"},
                     {"program", "g"},
                     {"goal", "x"},
                     {"severity", "info"},
                     {"dimension", "race_ethnicity"},
                     {"group", "asian"}},
                    AlertPhase::kFiring,
                    0.5,
                    0.8};
  EXPECT_EQ(DumpJson(TransitionJson(t)),
            R"({"day":"2025-03-08","alertname":"A","contract":"c",)"
            R"("provider":"p","program":"g","goal":"x","state":"firing",)"
            R"("value":0.5,"target":0.8,"dimension":"race_ethnicity",)"
            R"("group":"asian"})");
  t.value.reset();
  t.labels.erase("dimension");
  t.labels.erase("group");
  EXPECT_EQ(DumpJson(TransitionJson(t)),
            R"({"day":"2025-03-08","alertname":"A","contract":"c",)"
            R"("provider":"p","program":"g","goal":"x","state":"firing",)"
            R"("value":null,"target":0.8})");
}

TEST_F(BacktestTest, BadLinesNameFileAndLine) {
  const std::string ok = Referral("p1", 0);
  auto error = [&](const std::string& text) {
    auto h = Read(text);
    return h.ok() ? std::string("OK") : std::string(h.status().message());
  };
  const std::string path = ::testing::TempDir() + "/bt_h.jsonl";
  EXPECT_EQ(
      error(ok + "\n\nnot json\n"),
      path + ":3: not a JSON object (expected one ServiceEvent per line)");
  EXPECT_EQ(error(ok + "\n{\"eventId\": \"x\", \"bogus\": 1}\n"),
            path +
                ":2: malformed: not a JSON outcomes.v1.ServiceEvent (broken "
                "JSON, an unknown field or a value of the wrong type)");
  std::string no_client = ok;
  no_client.replace(no_client.find(R"(,"clientKey")"),
                    std::string(R"(,"clientKey":"c-p1-0")").size(), "");
  EXPECT_EQ(error(ok + "\n" + no_client + "\n"),
            path + ":2: missing_field: client_key is required");
  EXPECT_EQ(error(ok + "\n" + ok + "\n"), "OK");  // a duplicate is not an error
  ValidationSettings v;
  EXPECT_EQ(EventHistory::Read("/nonexistent/h.jsonl", v).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(BacktestTest, FromAfterToAndEmptyHistory) {
  auto empty = Read("");
  ASSERT_TRUE(empty.ok());
  BacktestOptions o{settings_, std::nullopt, std::nullopt};
  EXPECT_EQ(RunBacktest(rules_, *empty, o).status().message(),
            "the history has no events: give both --from and --to");
  o.from = *ParseDayArg("2025-03-05");
  o.to = *ParseDayArg("2025-03-04");
  EXPECT_EQ(RunBacktest(rules_, *empty, o).status().message(),
            "--from=2025-03-05 is after --to=2025-03-04");
  o.to = o.from;
  auto report = RunBacktest(rules_, *empty, o);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->transitions.empty());
}

TEST(BacktestDays, ParseDayIsStrict) {
  EXPECT_EQ(*ParseDayArg("1970-01-02"), 1);
  EXPECT_EQ(FormatDay(*ParseDayArg("2024-02-29")), "2024-02-29");
  for (const char* bad : {"2025-02-30", "2025-13-01", "2025-1-01", "+2025-01-1",
                          " 2025-01-01", "2025-01-01x", "20250101", ""}) {
    EXPECT_EQ(
        ParseDayArg(bad).status().message(),
        absl::StrCat("\"", bad, "\" is not a date of the form YYYY-MM-DD"))
        << bad;
  }
}

}  // namespace
}  // namespace outcomes
