// Goal evaluation on hand-made figures: values, targets, min_sample,
// Wilson mode, group ratios (suppressed groups excluded), explanations and
// alert text; and the outcomes_goal_* / outcomes_alerts export.
#include <string>
#include <vector>

#include "daemon/alerts/alert_metrics.h"
#include "daemon/alerts/alert_text.h"
#include "daemon/alerts/goal_evaluator.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace outcomes {
namespace {

GoalSpec Goal(GoalMetric metric, double min) {
  GoalSpec g;
  g.contract = "wd-2026";
  g.program = "workforce";
  g.name = "enrollment-rate";
  g.alert = "EnrollmentRateShortfall";
  g.metric_name = "enrollment_rate";
  g.metric = metric;
  g.window = "30d";
  g.window_days = 30;
  g.target = min;
  g.severity = "warning";
  return g;
}

ProgramFigures Figures(int64_t enrolled, int64_t referrals) {
  ProgramFigures f;
  f.provider = "prov-001";
  f.program = "workforce";
  f.stalled_referrals = 17;
  f.stalled_priority_referrals = 11;
  WindowFigures w;
  w.days = 30;
  w.enrollment_rate = {enrolled, referrals};
  w.priority_share_referral = {16, 40};
  w.priority_share_enrollment = {4, 20};
  f.windows.push_back(w);
  return f;
}

GoalResult One(const GoalSpec& g, const ProgramFigures& f) {
  auto results = EvaluateGoal(g, f, EvaluatorSettings{});
  EXPECT_EQ(results.size(), 1u);
  return results.at(0);
}

TEST(GoalEvaluatorTest, rate_below_min_is_a_shortfall) {
  const GoalResult r =
      One(Goal(v1::GOAL_METRIC_ENROLLMENT_RATE, 0.6), Figures(9, 20));
  EXPECT_EQ(r.value, 0.45);
  EXPECT_EQ(r.target, 0.6);
  EXPECT_EQ(r.sample_size, 20);
  EXPECT_TRUE(r.judged);
  EXPECT_TRUE(r.shortfall);
  EXPECT_EQ(r.explanation,
            "9 of 20 referrals made 15-44 days ago enrolled within 14 days. "
            "17 referrals older than 14 days (within the last 120 days) are "
            "not enrolled; 11 are priority-population clients.");
}

TEST(GoalEvaluatorTest, equal_to_min_is_not_a_shortfall) {
  EXPECT_FALSE(One(Goal(v1::GOAL_METRIC_ENROLLMENT_RATE, 0.6), Figures(12, 20))
                   .shortfall);
}

TEST(GoalEvaluatorTest, max_goal_strictly_above) {
  GoalSpec g = Goal(v1::GOAL_METRIC_STALLED_REFERRALS, 0);
  g.is_min = false;
  g.target = 17;
  EXPECT_FALSE(One(g, Figures(1, 2)).shortfall);
  g.target = 16;
  const GoalResult r = One(g, Figures(1, 2));
  EXPECT_TRUE(r.shortfall);
  EXPECT_EQ(r.value, 17);
}

TEST(GoalEvaluatorTest, below_min_sample_is_not_judged) {
  GoalSpec g = Goal(v1::GOAL_METRIC_ENROLLMENT_RATE, 0.6);
  g.min_sample = 21;
  const GoalResult r = One(g, Figures(0, 20));
  EXPECT_FALSE(r.judged);
  EXPECT_FALSE(r.shortfall);
}

TEST(GoalEvaluatorTest, empty_denominator_has_no_value) {
  const GoalResult r =
      One(Goal(v1::GOAL_METRIC_ENROLLMENT_RATE, 0.6), Figures(0, 0));
  EXPECT_FALSE(r.value.has_value());
  EXPECT_FALSE(r.judged);
}

TEST(GoalEvaluatorTest, override_replaces_target) {
  GoalSpec g = Goal(v1::GOAL_METRIC_ENROLLMENT_RATE, 0.6);
  g.provider_targets["prov-001"] = 0.4;
  const GoalResult r = One(g, Figures(9, 20));
  EXPECT_EQ(r.target, 0.4);
  EXPECT_FALSE(r.shortfall);
}

TEST(GoalEvaluatorTest, wilson_mode_needs_the_whole_interval_below) {
  GoalSpec g = Goal(v1::GOAL_METRIC_ENROLLMENT_RATE, 0.6);
  g.confidence = 0.95;
  // 1 of 5: point value 0.2, but the 95% interval reaches 0.6245.
  GoalResult r = One(g, Figures(1, 5));
  EXPECT_TRUE(r.judged);
  EXPECT_FALSE(r.shortfall);
  ASSERT_TRUE(r.interval.has_value());
  EXPECT_NEAR(r.interval->upper, 0.6245, 5e-5);
  // 10 of 40: interval [0.1419, 0.4019] is wholly below 0.6.
  r = One(g, Figures(10, 40));
  EXPECT_TRUE(r.shortfall);
  EXPECT_NE(r.explanation.find("The 95% Wilson interval is [0.1419, 0.4019]."),
            std::string::npos);
}

TEST(GoalEvaluatorTest, creaming_ratio) {
  GoalSpec g = Goal(v1::GOAL_METRIC_CREAMING_RATIO, 0.8);
  const GoalResult r = One(g, Figures(1, 2));
  EXPECT_EQ(r.value, 0.5);  // 20% of enrollments / 40% of referrals
  EXPECT_TRUE(r.shortfall);
  EXPECT_EQ(r.explanation,
            "Priority-population clients were 20.0% of 20 enrollments but "
            "40.0% of 40 referrals in the last 30 days.");
}

TEST(GoalEvaluatorTest, window_events) {
  GoalSpec g = Goal(v1::GOAL_METRIC_WINDOW_EVENTS, 40);
  g.event_kind = kReferral;
  ProgramFigures f = Figures(1, 2);
  f.windows[0].events[kReferral] = 38;
  const GoalResult r = One(g, f);
  EXPECT_EQ(r.value, 38);
  EXPECT_TRUE(r.shortfall);
  EXPECT_EQ(r.explanation, "38 referral events in the last 30 days.");
}

TEST(GoalEvaluatorTest, group_ratio_excludes_suppressed_and_small_groups) {
  GoalSpec g = Goal(v1::GOAL_METRIC_GROUP_RATE_RATIO, 0.8);
  g.dimension = "race_ethnicity";
  g.min_sample = 11;
  ProgramFigures f = Figures(1, 2);
  f.windows[0].enrollment_groups = {
      {"race_ethnicity", "asian", {10, 10}, true},  // suppressed: ignored
      {"race_ethnicity", "black", {6, 20}, false},  // 0.3 / 0.6 = 0.5
      {"race_ethnicity", "other", {1, 12}, false},  // below min_sample? no: 12
      {"race_ethnicity", "small", {5, 5}, false},   // 5 < 11: ignored
      {"race_ethnicity", "white", {12, 20}, false}};  // best
  auto results = EvaluateGoal(g, f, EvaluatorSettings{});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].group, "black");
  EXPECT_DOUBLE_EQ(*results[0].value, 0.5);
  EXPECT_TRUE(results[0].shortfall);
  EXPECT_EQ(results[0].explanation,
            "race_ethnicity black: 30.0% of 20 referrals vs. 60.0% of 20 for "
            "white, the best group.");
  EXPECT_EQ(results[1].group, "other");
  EXPECT_EQ(results[2].group, "white");
  EXPECT_EQ(results[2].value, 1.0);
  EXPECT_FALSE(results[2].shortfall);
  const AlertLabels labels = LabelsOf(results[0]);
  EXPECT_EQ(labels.at("dimension"), "race_ethnicity");
  EXPECT_EQ(labels.at("group"), "black");
}

// Issue 7: retention dropped the oldest events; a goal on a window that
// reaches back past them raised a shortfall that exists only because the
// data is gone.
TEST(GoalEvaluatorTest, window_with_incomplete_history_is_not_judged) {
  ProgramFigures f = Figures(9, 20);
  f.windows[0].complete = false;
  const GoalResult r = One(Goal(v1::GOAL_METRIC_ENROLLMENT_RATE, 0.6), f);
  EXPECT_EQ(r.value, 0.45);
  EXPECT_FALSE(r.judged);
  EXPECT_FALSE(r.shortfall);
  EXPECT_TRUE(r.incomplete);
  EXPECT_NE(r.explanation.find("Not judged: the retained Kafka history"),
            std::string::npos);
}

TEST(GoalEvaluatorTest, stalled_referrals_need_the_whole_horizon) {
  GoalSpec g = Goal(v1::GOAL_METRIC_STALLED_REFERRALS, 0);
  g.is_min = false;
  g.target = 16;
  ProgramFigures f = Figures(1, 2);
  f.windows[0].complete = false;  // not the figure stalled_referrals reads
  EXPECT_TRUE(One(g, f).shortfall);
  f.history_complete = false;
  const GoalResult r = One(g, f);
  EXPECT_FALSE(r.shortfall);
  EXPECT_FALSE(r.judged);
  EXPECT_TRUE(r.incomplete);
}

TEST(GoalEvaluatorTest,
     group_ratio_with_incomplete_history_is_one_unjudged_result) {
  GoalSpec g = Goal(v1::GOAL_METRIC_GROUP_RATE_RATIO, 0.8);
  g.dimension = "race_ethnicity";
  ProgramFigures f = Figures(1, 2);
  f.windows[0].enrollment_groups = {
      {"race_ethnicity", "black", {6, 20}, false},
      {"race_ethnicity", "white", {12, 20}, false}};
  f.windows[0].complete = false;
  auto results = EvaluateGoal(g, f, EvaluatorSettings{});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].incomplete);
  EXPECT_FALSE(results[0].shortfall);
  EXPECT_EQ(results[0].group, "");
  EXPECT_FALSE(results[0].value.has_value());
}

TEST(GoalEvaluatorTest, contract_scoping) {
  RuleSet rules;
  ContractSpec c;
  c.id = "wd-2026";
  c.program = "workforce";
  c.goals.push_back(Goal(v1::GOAL_METRIC_ENROLLMENT_RATE, 0.6));
  rules.contracts.push_back(c);
  ProgramFigures other = Figures(9, 20);
  other.program = "housing";
  ProgramFigures p2 = Figures(9, 20);
  p2.provider = "prov-002";
  const std::vector<ProgramFigures> figures = {Figures(9, 20), other, p2};
  EXPECT_EQ(EvaluateGoals(rules, figures, EvaluatorSettings{}).size(), 2u);
  rules.contracts[0].providers = {"prov-002"};
  const auto results = EvaluateGoals(rules, figures, EvaluatorSettings{});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].provider, "prov-002");
  EXPECT_EQ(results[0].goal, &rules.contracts[0].goals[0]);
}

TEST(AlertTextTest, default_annotations) {
  const GoalSpec g = Goal(v1::GOAL_METRIC_ENROLLMENT_RATE, 0.6);
  const GoalResult r = One(g, Figures(9, 20));
  const AlertAnnotations a = AnnotationsOf(r);
  EXPECT_EQ(a.at("summary"),
            "prov-001 enrollment rate 45.0% below target 60.0%");
  EXPECT_EQ(a.at("description"),
            "Provider prov-001's enrollment rate in program workforce is 45.0% "
            "over the last 30d, below the target of 60.0% set by contract "
            "wd-2026 (goal enrollment-rate; sample size 20 referrals). 9 of 20 "
            "referrals made 15-44 days ago enrolled within 14 days. 17 "
            "referrals older than 14 days (within the last 120 days) are not "
            "enrolled; 11 are priority-population clients.");
  EXPECT_EQ(a.at("value"), "0.45");
  EXPECT_EQ(a.at("target"), "0.6");
  EXPECT_EQ(a.at("sample_size"), "20");
}

TEST(AlertTextTest, templates) {
  GoalSpec g = Goal(v1::GOAL_METRIC_ENROLLMENT_RATE, 0.6);
  g.summary = "{{provider}} enrollment rate {{value}} below target {{target}}";
  g.description =
      "{{alertname}} {{contract}}/{{goal}} {{window}} n={{sample_size}}";
  const AlertAnnotations a = AnnotationsOf(One(g, Figures(9, 20)));
  EXPECT_EQ(a.at("summary"), "prov-001 enrollment rate 0.45 below target 0.6");
  EXPECT_EQ(a.at("description"),
            "EnrollmentRateShortfall wd-2026/enrollment-rate 30d n=20");
}

TEST(AlertTextTest, labels_and_inputs) {
  const GoalSpec g = Goal(v1::GOAL_METRIC_ENROLLMENT_RATE, 0.6);
  const std::vector<GoalResult> results = {One(g, Figures(9, 20)),
                                           One(g, Figures(19, 20))};
  const auto inputs = ShortfallInputs(results);
  ASSERT_EQ(inputs.size(), 1u);
  EXPECT_EQ(inputs[0].labels,
            (AlertLabels{{"alertname", "EnrollmentRateShortfall"},
                         {"contract", "wd-2026"},
                         {"goal", "enrollment-rate"},
                         {"program", "workforce"},
                         {"provider", "prov-001"},
                         {"severity", "warning"}}));
  EXPECT_EQ(inputs[0].window, "30d");
}

// Alerting's mode: explanations only where an alert shows them, the same
// text there as when every result is explained.
TEST(GoalEvaluatorTest, explains_only_shown_results_when_asked) {
  RuleSet rules;
  rules.contracts.emplace_back();
  rules.contracts[0].program = "workforce";
  rules.contracts[0].goals.push_back(
      Goal(v1::GOAL_METRIC_ENROLLMENT_RATE, 0.6));
  ProgramFigures good = Figures(19, 20);
  good.provider = "prov-002";
  const std::vector<ProgramFigures> figures = {Figures(9, 20), good};
  EvaluatorSettings shown;
  shown.explain_all = false;
  const auto all = EvaluateGoals(rules, figures, EvaluatorSettings{});
  const auto some = EvaluateGoals(rules, figures, shown);
  ASSERT_EQ(all.size(), 2u);
  ASSERT_EQ(some.size(), 2u);
  EXPECT_TRUE(some[0].shortfall);
  EXPECT_FALSE(some[0].explanation.empty());
  EXPECT_EQ(some[0].explanation, all[0].explanation);
  EXPECT_FALSE(some[1].shortfall);
  EXPECT_EQ(some[1].explanation, "");
  EXPECT_FALSE(all[1].explanation.empty());
  EXPECT_EQ(some[1].value, all[1].value);
}

// EvaluateGoalsInto drops what `out` held and reuses its storage; the
// results are those of EvaluateGoals.
TEST(GoalEvaluatorTest, evaluate_into_reuses_the_storage_it_is_given) {
  RuleSet rules;
  rules.contracts.emplace_back();
  rules.contracts[0].program = "workforce";
  rules.contracts[0].goals.push_back(
      Goal(v1::GOAL_METRIC_ENROLLMENT_RATE, 0.6));
  ProgramFigures good = Figures(19, 20);
  good.provider = "prov-002";
  const std::vector<ProgramFigures> figures = {Figures(9, 20), good};
  const std::vector<const ProgramFigures*> pointers = {&figures[0],
                                                       &figures[1]};
  EvaluatorSettings shown;
  shown.explain_all = false;
  std::vector<GoalResult> out(5);  // an earlier evaluation's, say
  out[0].provider = "prov-old";
  out[0].explanation = "stale";
  const GoalResult* storage = out.data();
  EvaluateGoalsInto(rules, pointers, shown, out);
  const auto want = EvaluateGoals(rules, figures, shown);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out.data(), storage);
  EXPECT_EQ(out[0].provider, "prov-001");
  EXPECT_EQ(out[0].value, 0.45);
  EXPECT_TRUE(out[0].shortfall);
  EXPECT_EQ(out[0].explanation, want[0].explanation);
  EXPECT_EQ(out[1].provider, "prov-002");
  EXPECT_EQ(out[1].value, 0.95);
  EXPECT_FALSE(out[1].shortfall);
  EXPECT_EQ(out[1].explanation, "");
}

// The cache hands back the same input while the result says the same, and
// a rebuilt one (new text) when it changes or the rules are reloaded.
TEST(AlertTextTest, cached_inputs_are_rebuilt_only_on_change) {
  RuleSet rules;
  rules.contracts.emplace_back();
  rules.contracts[0].goals.push_back(
      Goal(v1::GOAL_METRIC_ENROLLMENT_RATE, 0.6));
  auto shared = std::make_shared<const RuleSet>(rules);
  const GoalSpec& g = shared->contracts[0].goals[0];
  ShortfallInputCache cache;
  const std::vector<GoalResult> first = {One(g, Figures(9, 20)),
                                         One(g, Figures(19, 20))};
  const auto a = cache.Inputs(first, shared);
  ASSERT_EQ(a.size(), 1u);
  const uint64_t id = a[0]->annotations_id;
  EXPECT_NE(id, 0u);
  EXPECT_EQ(a[0]->annotations, AnnotationsOf(first[0]));
  EXPECT_EQ(a[0]->key, LabelKey(a[0]->labels));
  const auto same = cache.Inputs(first, shared);
  ASSERT_EQ(same.size(), 1u);
  EXPECT_EQ(same[0], a[0]);
  EXPECT_EQ(same[0]->annotations_id, id);
  const std::vector<GoalResult> lower = {One(g, Figures(8, 20))};
  const auto changed = cache.Inputs(lower, shared);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_NE(changed[0]->annotations_id, id);
  EXPECT_EQ(changed[0]->annotations, AnnotationsOf(lower[0]));
  EXPECT_EQ(changed[0]->value, 0.4);
  const uint64_t changed_id = changed[0]->annotations_id;  // valid until now
  auto reloaded = std::make_shared<const RuleSet>(*shared);
  const std::vector<GoalResult> again = {
      One(reloaded->contracts[0].goals[0], Figures(8, 20))};
  const auto rebuilt = cache.Inputs(again, reloaded);
  ASSERT_EQ(rebuilt.size(), 1u);
  EXPECT_NE(rebuilt[0]->annotations_id, changed_id);
  EXPECT_TRUE(cache.Inputs({}, reloaded).empty());
}

// Update hands back the previous results' storage, emptied, for the next
// evaluation (no scrape holds them here).
TEST(AlertMetricsTest, update_hands_back_the_previous_storage) {
  FakeClock clock(absl::FromUnixSeconds(1767571200));
  AlertLifecycle lifecycle(AlertLifecycle::Options{}, clock);
  AlertMetrics metrics(lifecycle);
  const GoalSpec g = Goal(v1::GOAL_METRIC_ENROLLMENT_RATE, 0.6);
  std::vector<GoalResult> first = {One(g, Figures(9, 20)),
                                   One(g, Figures(19, 20))};
  const GoalResult* storage = first.data();
  EXPECT_EQ(metrics.Update(std::move(first)).capacity(), 0u);
  const std::vector<GoalResult> spare =
      metrics.Update({One(g, Figures(8, 20))});
  EXPECT_TRUE(spare.empty());
  EXPECT_EQ(spare.data(), storage);
  EXPECT_GE(spare.capacity(), 2u);
  const std::string text =
      prometheus::TextSerializer().Serialize(metrics.Collect());
  EXPECT_NE(text.find("provider=\"prov-001\"} 0.4"), std::string::npos) << text;
}

TEST(AlertMetricsTest, exports_and_removes_series) {
  FakeClock clock(absl::FromUnixSeconds(1767571200));
  AlertLifecycle lifecycle(AlertLifecycle::Options{}, clock);
  AlertMetrics metrics(lifecycle);
  const GoalSpec g = Goal(v1::GOAL_METRIC_ENROLLMENT_RATE, 0.6);
  std::vector<GoalResult> results = {One(g, Figures(9, 20))};
  lifecycle.Update(ShortfallInputs(results));
  metrics.Update(results);
  std::string text = prometheus::TextSerializer().Serialize(metrics.Collect());
  EXPECT_NE(
      text.find("outcomes_goal_value{contract=\"wd-2026\",goal=\"enrollment-"
                "rate\",program=\"workforce\",provider=\"prov-001\"} 0.45"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find("outcomes_goal_target{contract=\"wd-2026\",goal=\"enrollment-"
                "rate\",program=\"workforce\",provider=\"prov-001\"} 0.6"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find("outcomes_alerts{alertname=\"EnrollmentRateShortfall\","
                "alertstate=\"firing\",contract=\"wd-2026\",goal=\"enrollment-"
                "rate\",program=\"workforce\",provider=\"prov-001\","
                "severity=\"warning\"} 1"),
      std::string::npos)
      << text;
  lifecycle.Update({});
  metrics.Update({});
  text = prometheus::TextSerializer().Serialize(metrics.Collect());
  EXPECT_EQ(text.find("prov-001"), std::string::npos) << text;
}

}  // namespace
}  // namespace outcomes
