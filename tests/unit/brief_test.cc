// The meeting brief (docs/design.md, "Brief, payments and backtest"): calendar
// periods, ranks, the brief JSON from hand-made figures judged by the daemon's
// own evaluator, and the HTML and Markdown renderings of it.
#include "daemon/brief/brief.h"

#include <string>
#include <vector>

#include "daemon/brief/brief_render.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

DayNumber Day(const char* text) { return *ParseDay(text); }

TEST(BriefPeriodTest, MonthsAndQuarters) {
  const Period march = PeriodOf(PeriodKind::kMonth, Day("2026-03-14"));
  EXPECT_EQ(FormatDay(march.start), "2026-03-01");
  EXPECT_EQ(FormatDay(march.end), "2026-03-31");
  const Period feb = PreviousPeriod(PeriodKind::kMonth, march);
  EXPECT_EQ(FormatDay(feb.start), "2026-02-01");
  EXPECT_EQ(FormatDay(feb.end), "2026-02-28");
  EXPECT_EQ(FormatDay(PeriodOf(PeriodKind::kMonth, Day("2024-02-10")).end),
            "2024-02-29");
  const Period jan = PeriodOf(PeriodKind::kMonth, Day("2026-01-01"));
  EXPECT_EQ(PreviousPeriod(PeriodKind::kMonth, jan),
            (Period{Day("2025-12-01"), Day("2025-12-31")}));
  const Period q2 = PeriodOf(PeriodKind::kQuarter, Day("2026-05-20"));
  EXPECT_EQ(q2, (Period{Day("2026-04-01"), Day("2026-06-30")}));
  EXPECT_EQ(PreviousPeriod(PeriodKind::kQuarter, q2),
            (Period{Day("2026-01-01"), Day("2026-03-31")}));
  const Period q1 = PeriodOf(PeriodKind::kQuarter, Day("2026-03-31"));
  EXPECT_EQ(q1, (Period{Day("2026-01-01"), Day("2026-03-31")}));
  EXPECT_EQ(PreviousPeriod(PeriodKind::kQuarter, q1),
            (Period{Day("2025-10-01"), Day("2025-12-31")}));
  EXPECT_EQ(ParsePeriodKind("quarter"), PeriodKind::kQuarter);
  EXPECT_FALSE(ParsePeriodKind("year").has_value());
}

TEST(BriefPeriodTest, DaysAreExactlyYearMonthDay) {
  EXPECT_EQ(Day("1970-01-02"), 1);
  EXPECT_FALSE(ParseDay("2026-02-30").has_value());
  EXPECT_FALSE(ParseDay("2026-2-01").has_value());
  EXPECT_FALSE(ParseDay("2026-02-01x").has_value());
  EXPECT_FALSE(ParseDay("").has_value());
  EXPECT_FALSE(ParseDay("20260201").has_value());
}

TEST(BriefRankTest, TiesShareARankAndMaxGoalsRankLowFirst) {
  const std::vector<double> v = {0.5, 0.7, 0.7, 0.3};
  EXPECT_EQ(RankAmong(0.7, v, /*is_min=*/true), 1);
  EXPECT_EQ(RankAmong(0.5, v, true), 3);
  EXPECT_EQ(RankAmong(0.3, v, true), 4);
  EXPECT_EQ(RankAmong(0.3, v, /*is_min=*/false), 1);
  EXPECT_EQ(RankAmong(0.7, v, false), 3);
}

GoalSpec Goal(const std::string& name, GoalMetric metric, bool is_min,
              double target) {
  GoalSpec g;
  g.contract = "c1";
  g.program = "prog";
  g.name = name;
  g.alert = name + "-alert";
  g.metric = metric;
  g.is_min = is_min;
  g.target = target;
  if (metric == v1::GOAL_METRIC_ENROLLMENT_RATE) {
    g.metric_name = "enrollment_rate";
    g.window = "30d";
    g.window_days = 30;
    g.min_sample = 5;
  } else {
    g.metric_name = "stalled_referrals";
  }
  return g;
}

ProgramFigures Figures(const std::string& provider, int64_t enrolled,
                       int64_t referrals, int64_t stalled) {
  ProgramFigures f;
  f.provider = provider;
  f.program = "prog";
  f.stalled_referrals = stalled;
  f.stalled_priority_referrals = stalled / 2;
  WindowFigures w;
  w.days = 30;
  w.events[kReferral] = 40;
  w.enrollment_rate = {enrolled, referrals};
  w.priority_share_referral = {10, 40};
  w.priority_share_enrollment = {2, 20};
  w.days_to_enroll_count = 20;
  w.days_to_enroll_p50 = 4;
  w.days_to_enroll_p90 = 12;
  w.enrollment_groups = {{"race_ethnicity", "asian", {3, 8}, true},
                         {"race_ethnicity", "white", {6, 12}, false}};
  f.windows.push_back(w);
  return f;
}

class BriefJsonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ContractSpec c1{"c1", "prog", {}, {}, std::nullopt, "c1.yaml:1"};
    c1.goals = {
        Goal("enrollment-rate", v1::GOAL_METRIC_ENROLLMENT_RATE, true, 0.6),
        Goal("stalled", v1::GOAL_METRIC_STALLED_REFERRALS, false, 10)};
    ContractSpec other_program{"c2", "other",      {},
                               {},   std::nullopt, "c2.yaml:1"};
    other_program.goals = {
        Goal("x", v1::GOAL_METRIC_STALLED_REFERRALS, false, 1)};
    ContractSpec only_b{"c3", "prog", {"b"}, {}, std::nullopt, "c3.yaml:1"};
    only_b.goals = {Goal("y", v1::GOAL_METRIC_STALLED_REFERRALS, false, 1)};
    rules_.contracts = {c1, other_program, only_b};
    for (ContractSpec& c : rules_.contracts) {
      for (GoalSpec& g : c.goals) g.contract = c.id;
    }
    figures_ = {Figures("a", 6, 10, 12), Figures("b", 8, 10, 3),
                Figures("c", 6, 10, 12), Figures("d", 1, 2, 0)};
  }

  BriefInputs Inputs(const std::string& provider) {
    BriefInputs in;
    in.provider = provider;
    in.program = "prog";
    in.as_of = Day("2026-03-14");
    in.kind = PeriodKind::kMonth;
    EventCounts previous = {30, 12, 4, 2, 1};
    EventCounts current = {14, 5, 1, 0, 0};
    in.funnels = {{{Day("2026-02-01"), Day("2026-02-28")}, previous, true},
                  {{Day("2026-03-01"), Day("2026-03-31")}, current, true}};
    for (const ProgramFigures& f : figures_) {
      if (f.provider == provider) in.figures = &f;
    }
    in.rules = &rules_;
    in.results = EvaluateGoals(rules_, figures_, EvaluatorSettings{});
    return in;
  }

  RuleSet rules_;
  std::vector<ProgramFigures> figures_;
};

TEST_F(BriefJsonTest, PeriodsFunnelAndHeadlineFigures) {
  const Json b = BuildBriefJson(Inputs("a"));
  EXPECT_EQ(b["provider"], "a");
  EXPECT_EQ(b["as_of"], "2026-03-14");
  EXPECT_EQ(b["period"], Json::parse(R"({"kind":"month",
              "current":{"start":"2026-03-01","end":"2026-03-31"},
              "previous":{"start":"2026-02-01","end":"2026-02-28"}})"));
  EXPECT_EQ(b["funnel"]["current"],
            Json::parse(R"({"referral":14,"enrollment":5,"completion":1,
                            "disenrollment":0,"outcome":0})"));
  EXPECT_EQ(b["funnel"]["previous"]["referral"], 30);
  EXPECT_EQ(b["trend"].size(), 2u);
  EXPECT_EQ(b["stalled_referrals"], 12);
  EXPECT_EQ(b["stalled_priority_referrals"], 6);
  EXPECT_EQ(b["priority_share"]["referral"]["value"], 0.25);
  EXPECT_EQ(b["creaming_ratio"], 0.4);  // 0.1 / 0.25
  EXPECT_EQ(b["days_to_enroll"],
            Json::parse(R"({"count":20,"p50":4,"p90":12})"));
  EXPECT_EQ(b["groups"], Json::parse(R"([
      {"metric":"enrollment_rate","dimension":"race_ethnicity",
       "group":"asian","suppressed":true},
      {"metric":"enrollment_rate","dimension":"race_ethnicity",
       "group":"white","suppressed":false,"value":0.5,"numerator":6,
       "denominator":12}])"));
  EXPECT_EQ(b["payments"], Json::array());
  EXPECT_EQ(b["alerts"], Json::array());
}

TEST_F(BriefJsonTest, GoalsOfTheProgramWithRanksAndTies) {
  const Json goals = BuildBriefJson(Inputs("a"))["goals"];
  ASSERT_EQ(goals.size(), 2u);  // not c2 (other program), not c3 (only b)
  // Enrollment rate: a 0.6, b 0.8, c 0.6 judged; d has 2 < 5 referrals.
  EXPECT_EQ(goals[0]["contract"], "c1");
  EXPECT_EQ(goals[0]["goal"], "enrollment-rate");
  EXPECT_EQ(goals[0]["metric"], "enrollment_rate");
  EXPECT_EQ(goals[0]["window"], "30d");
  EXPECT_EQ(goals[0]["value"], 0.6);
  EXPECT_EQ(goals[0]["target"], 0.6);
  EXPECT_EQ(goals[0]["status"], "met");  // not strictly below
  EXPECT_EQ(goals[0]["sample_size"], 10);
  EXPECT_EQ(goals[0]["rank"], 2);  // tied with c, behind b
  EXPECT_EQ(goals[0]["of"], 3);
  // Stalled (max 10): a 12, b 3, c 12, d 0: lower is better.
  EXPECT_EQ(goals[1]["value"], 12);
  EXPECT_EQ(goals[1]["status"], "shortfall");
  EXPECT_EQ(goals[1]["rank"], 3);
  EXPECT_EQ(goals[1]["of"], 4);
}

TEST_F(BriefJsonTest, NotJudgedHasNoRank) {
  const Json goals = BuildBriefJson(Inputs("d"))["goals"];
  EXPECT_EQ(goals[0]["status"], "not_judged");
  EXPECT_EQ(goals[0]["value"], 0.5);
  EXPECT_EQ(goals[0]["sample_size"], 2);
  EXPECT_TRUE(goals[0]["rank"].is_null());
  EXPECT_EQ(goals[0]["of"], 3);
  EXPECT_EQ(goals[1]["rank"], 1);
  EXPECT_EQ(BuildBriefJson(Inputs("b"))["goals"].size(), 3u);  // c3 too
}

TEST_F(BriefJsonTest, PointsToDiscussAlertsAndPayments) {
  BriefInputs in = Inputs("a");
  in.alerts = {{"stalled-alert", "stalled", "firing",
                absl::FromUnixSeconds(1773475200)}};  // 2026-03-14 08:00 UTC
  PaymentLine line;
  line.contract = "c1";
  line.provider = "a";
  line.program = "p";
  line.component = "clients-served";
  line.period = {Day("2026-01-01"), Day("2026-03-31")};
  line.units = 40;
  line.priority_units = 7;
  line.earned = 57600;
  line.maximum = 144000;
  line.projected_units = 87.5;
  in.payments = {line};
  const Json b = BuildBriefJson(in);
  EXPECT_EQ(b["alerts"], Json::parse(R"([{"alertname":"stalled-alert",
      "goal":"stalled","state":"firing","since":"2026-03-14T08:00:00Z"}])"));
  EXPECT_EQ(b["payments"], Json::parse(R"([{"contract":"c1",
      "component":"clients-served",
      "period":{"start":"2026-01-01","end":"2026-03-31"},"current":true,
      "units":40,"priority_units":7,"earned":57600.0,"maximum":144000.0,
      "projected_units":87.5}])"));
  ASSERT_EQ(b["points_to_discuss"].size(), 2u);
  EXPECT_EQ(b["points_to_discuss"][0],
            "Goal stalled (c1) is in shortfall: stalled_referrals is 12, "
            "above the maximum of 10. 12 referrals older than 14 days (within "
            "the last 120 days) are not enrolled; 6 are priority-population "
            "clients.");
  EXPECT_EQ(b["points_to_discuss"][1],
            "6 of the 12 referrals older than 14 days that are not enrolled "
            "are priority-population clients: what stands in their way?");
}

// A provider whose partition is being rebuilt: its (partial) figures are
// neither judged nor ranked, nor counted in the others' ranks, and the brief
// says so instead of pointing at a shortfall.
TEST_F(BriefJsonTest, NotReadyJudgesAndRanksNothing) {
  BriefInputs in = Inputs("a");  // results include a's: must be ignored
  in.ready = false;
  const Json b = BuildBriefJson(in);
  EXPECT_EQ(b["ready"], false);
  EXPECT_EQ(b["goals"], Json::parse(R"([
      {"contract":"c1","goal":"enrollment-rate","metric":"enrollment_rate",
       "window":"30d","value":null,"target":0.6,"status":"not_judged",
       "sample_size":0,"rank":null,"of":2,"direction":"min","sample_unit":"",
       "explanation":"figures not ready yet: state is being rebuilt"},
      {"contract":"c1","goal":"stalled","metric":"stalled_referrals",
       "window":"","value":null,"target":10.0,"status":"not_judged",
       "sample_size":0,"rank":null,"of":3,"direction":"max","sample_unit":"",
       "explanation":"figures not ready yet: state is being rebuilt"}])"));
  EXPECT_EQ(b["points_to_discuss"], Json::parse(R"([
      "The figures of a are not ready yet: its state is still being rebuilt after a restart or rebalance, so they may be partial counts. No goal is judged or ranked in this brief; ask for it again in a few minutes."])"));
  // The stalled goal's value 12 (a shortfall when ready) is not shown.
  EXPECT_NE(RenderBriefMarkdown(b).find(
                "| c1 | stalled | stalled_referrals |  | n/a | <= 10 | "
                "not_judged | 0 | - |\n"),
            std::string::npos);
  EXPECT_NE(RenderBriefHtml(b).find("are not ready yet"), std::string::npos);
  EXPECT_EQ(BuildBriefJson(Inputs("a"))["ready"], true);
}

TEST_F(BriefJsonTest, HtmlIsSelfContainedAndEscaped) {
  figures_[0].provider = "a<b>";
  BriefInputs in = Inputs("a<b>");
  const std::string html = RenderBriefHtml(BuildBriefJson(in));
  EXPECT_NE(html.find("<svg id=\"funnel-chart\""), std::string::npos);
  EXPECT_NE(html.find("<svg id=\"trend-chart\""), std::string::npos);
  EXPECT_NE(html.find("id=\"goals-table\""), std::string::npos);
  EXPECT_NE(html.find("Points to discuss"), std::string::npos);
  EXPECT_NE(html.find("a&lt;b&gt;"), std::string::npos);
  EXPECT_EQ(html.find("a<b>"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST_F(BriefJsonTest, MarkdownHasTheSameTables) {
  const std::string md = RenderBriefMarkdown(BuildBriefJson(Inputs("a")));
  EXPECT_NE(md.find("# Meeting brief: a\n"), std::string::npos);
  EXPECT_NE(md.find("| referral | 14 | 30 |"), std::string::npos);
  EXPECT_NE(md.find("| c1 | stalled | stalled_referrals |  | 12 | <= 10 | "
                    "shortfall | 12 | 3 of 4 |"),
            std::string::npos);
  EXPECT_NE(md.find("| enrollment_rate | race_ethnicity | asian | "
                    "suppressed |"),
            std::string::npos);
}

}  // namespace
}  // namespace outcomes
