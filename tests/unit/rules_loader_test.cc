// Rule files: strict YAML loading, every validation error (file:line: field
// path: why), durations and templates.
#include "daemon/rules/rules_loader.h"

#include <string>

#include "absl/strings/str_join.h"
#include "daemon/rules/duration.h"
#include "daemon/rules/template.h"
#include "daemon/rules/yaml_proto.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

// A valid goal; tests replace one line.
const char kHeader[] =
    "contracts:\n"                  // 1
    "  - id: c1\n"                  // 2
    "    program: workforce\n"      // 3
    "    providers: [p1, p2]\n"     // 4
    "    goals:\n"                  // 5
    "      - name: g1\n"            // 6
    "        alert: A\n"            // 7
    "        severity: warning\n";  // 8

// "OK", or the errors joined by " | ".
std::string Check(const std::string& yaml) {
  v1::RuleFile file;
  auto lines = YamlToProto(yaml, "t.yaml", &file);
  if (!lines.ok()) return std::string(lines.status().message());
  std::vector<ContractSpec> specs;
  auto errors = ValidateRuleFile(file, *lines, RuleSettings{}, &specs);
  return errors.empty() ? "OK" : absl::StrJoin(errors, " | ");
}

std::string Goal(const std::string& lines) { return kHeader + lines; }

TEST(RulesLoaderTest, valid_goal) {
  EXPECT_EQ(Check(Goal("        metric: enrollment_rate\n"
                       "        window: 30d\n"
                       "        min: 0.6\n"
                       "        for: 1d\n")),
            "OK");
}

TEST(RulesLoaderTest, unknown_key_names_line_and_path) {
  EXPECT_EQ(Check(Goal("        metric: enrollment_rate\n"
                       "        windw: 30d\n"
                       "        min: 0.6\n")),
            "t.yaml:10: contracts[0].goals[0].windw: unknown field");
}

TEST(RulesLoaderTest, for_duration_is_not_a_key) {
  EXPECT_EQ(Check(Goal("        metric: enrollment_rate\n"
                       "        window: 30d\n        min: 0.6\n"
                       "        for_duration: 1d\n")),
            "t.yaml:12: contracts[0].goals[0].for_duration: unknown field");
}

TEST(RulesLoaderTest, shape_errors) {
  EXPECT_EQ(
      Check(Goal("        metric: enrollment_rate\n"
                 "        window: 30d\n        min: lots\n")),
      "t.yaml:11: contracts[0].goals[0].min: expected a number, got \"lots\"");
  EXPECT_EQ(Check(Goal("        metric: [a]\n")),
            "t.yaml:9: contracts[0].goals[0].metric: expected a string value");
  EXPECT_EQ(Check("contracts: {id: x}\n"),
            "t.yaml:1: contracts: expected a list");
  EXPECT_EQ(Check(Goal("        metric: enrollment_rate\n"
                       "        metric: completion_rate\n")),
            "t.yaml:10: contracts[0].goals[0].metric: duplicate key");
  EXPECT_EQ(Check(Goal("        min_sample: 1.5\n")),
            "t.yaml:9: contracts[0].goals[0].min_sample: expected an integer, "
            "got \"1.5\"");
}

TEST(YamlProtoTest, maps_numbers_and_duplicate_map_keys) {
  v1::EventBatch batch;
  ASSERT_TRUE(YamlToProto("count: 3\nfraction_enrolled: 0.1\n"
                          "attributes: {b: \"x\\\"y\", a: \"1\"}\n",
                          "b.yaml", &batch)
                  .ok());
  EXPECT_EQ(batch.count(), 3);
  EXPECT_EQ(batch.fraction_enrolled(), 0.1);  // shortest form round-trips
  EXPECT_EQ(batch.attributes().at("b"), "x\"y");
  EXPECT_EQ(batch.attributes().at("a"), "1");
  // Strict like message keys: the second value is not silently kept.
  auto dup = YamlToProto("attributes:\n  a: x\n  a: y\n", "b.yaml", &batch);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().message(), "b.yaml:3: attributes.a: duplicate key");
}

TEST(RulesLoaderTest, yaml_syntax_error) {
  EXPECT_EQ(Check("contracts:\n  - id: [x\n"),
            "t.yaml:3: YAML syntax error: end of sequence flow not found");
}

TEST(RulesLoaderTest, contract_errors) {
  EXPECT_EQ(Check("contracts:\n  - providers: [a, a]\n"),
            "t.yaml:2: contracts[0].id: required | "
            "t.yaml:2: contracts[0].program: required | "
            "t.yaml:2: contracts[0].goals: a contract needs at least one goal "
            "or a payments block | "
            "t.yaml:2: contracts[0].providers[1]: duplicate provider \"a\"");
}

TEST(RulesLoaderTest, goal_required_fields) {
  EXPECT_EQ(Check("contracts:\n  - id: c\n    program: p\n    goals:\n"
                  "      - min: 1\n"),
            "t.yaml:5: contracts[0].goals[0].name: required | "
            "t.yaml:5: contracts[0].goals[0].alert: required | "
            "t.yaml:5: contracts[0].goals[0].severity: required | "
            "t.yaml:5: contracts[0].goals[0].metric: required");
}

TEST(RulesLoaderTest, metric_errors) {
  EXPECT_EQ(
      Check(Goal("        metric: enrolment_rate\n")),
      "t.yaml:9: contracts[0].goals[0].metric: unknown metric "
      "\"enrolment_rate\" (expected window_events:<type>, enrollment_rate, "
      "completion_rate, stalled_referrals, days_to_enroll_p50, "
      "days_to_enroll_p90, priority_share, creaming_ratio, "
      "group_rate_ratio)");
  EXPECT_EQ(Check(Goal("        metric: window_events:referal\n"
                       "        window: 7d\n        min: 1\n")),
            "t.yaml:9: contracts[0].goals[0].metric: unknown event type "
            "\"referal\" in window_events:<type> (expected referral, "
            "enrollment, completion, disenrollment, outcome)");
}

TEST(RulesLoaderTest, window_errors) {
  EXPECT_EQ(Check(Goal("        metric: enrollment_rate\n        min: 0.5\n")),
            "t.yaml:6: contracts[0].goals[0].window: required");
  EXPECT_EQ(Check(Goal("        metric: enrollment_rate\n        min: 0.5\n"
                       "        window: 45d\n")),
            "t.yaml:11: contracts[0].goals[0].window: \"45d\" is not one of "
            "the daemon's windows (7d, 30d, 90d)");
  EXPECT_EQ(Check(Goal("        metric: enrollment_rate\n        min: 0.5\n"
                       "        window: month\n")),
            "t.yaml:11: contracts[0].goals[0].window: invalid duration "
            "\"month\" (expected e.g. \"0s\", \"15m\", \"1d\", \"1h30m\")");
  EXPECT_EQ(Check(Goal("        metric: stalled_referrals\n        max: 5\n"
                       "        window: 30d\n")),
            "t.yaml:11: contracts[0].goals[0].window: not used by metric "
            "stalled_referrals (it covers the horizon)");
}

TEST(RulesLoaderTest, bound_errors) {
  EXPECT_EQ(Check(Goal("        metric: stalled_referrals\n")),
            "t.yaml:6: contracts[0].goals[0]: exactly one of min and max is "
            "required");
  EXPECT_EQ(
      Check(Goal("        metric: stalled_referrals\n"
                 "        min: 1\n        max: 5\n")),
      "t.yaml:11: contracts[0].goals[0].max: only one of min, max may be set "
      "(min is set too)");
  EXPECT_EQ(Check(Goal("        metric: completion_rate\n        window: 7d\n"
                       "        min: 60\n")),
            "t.yaml:11: contracts[0].goals[0].min: a proportion target must be "
            "between 0 and 1");
  EXPECT_EQ(Check(Goal("        metric: stalled_referrals\n        max: -1\n")),
            "t.yaml:10: contracts[0].goals[0].max: must be >= 0");
  EXPECT_EQ(Check(Goal("        metric: stalled_referrals\n        max: 1\n"
                       "        min_sample: -2\n")),
            "t.yaml:11: contracts[0].goals[0].min_sample: must be >= 0");
}

TEST(RulesLoaderTest, group_rate_ratio_errors) {
  EXPECT_EQ(Check(Goal("        metric: group_rate_ratio\n        window: 30d\n"
                       "        min: 0.8\n")),
            "t.yaml:6: contracts[0].goals[0].rate: required by metric "
            "group_rate_ratio (enrollment_rate or completion_rate) | "
            "t.yaml:6: contracts[0].goals[0].dimension: required by metric "
            "group_rate_ratio");
  EXPECT_EQ(Check(Goal("        metric: group_rate_ratio\n        window: 30d\n"
                       "        min: 0.8\n        rate: wage\n"
                       "        dimension: gender\n")),
            "t.yaml:12: contracts[0].goals[0].rate: unknown rate \"wage\" "
            "(expected enrollment_rate or completion_rate) | "
            "t.yaml:13: contracts[0].goals[0].dimension: \"gender\" is not one "
            "of the daemon's dimensions (race_ethnicity)");
  EXPECT_EQ(Check(Goal("        metric: enrollment_rate\n        window: 30d\n"
                       "        min: 0.8\n        rate: enrollment_rate\n"
                       "        dimension: race_ethnicity\n")),
            "t.yaml:12: contracts[0].goals[0].rate: only used by metric "
            "group_rate_ratio | t.yaml:13: contracts[0].goals[0].dimension: "
            "only used by metric group_rate_ratio");
}

TEST(RulesLoaderTest, stage_errors) {
  EXPECT_EQ(Check(Goal("        metric: priority_share\n        window: 30d\n"
                       "        min: 0.3\n        stage: exit\n")),
            "t.yaml:12: contracts[0].goals[0].stage: unknown stage \"exit\" "
            "(expected referral or enrollment)");
  EXPECT_EQ(Check(Goal("        metric: completion_rate\n        window: 30d\n"
                       "        min: 0.3\n        stage: referral\n")),
            "t.yaml:12: contracts[0].goals[0].stage: only used by metric "
            "priority_share");
}

TEST(RulesLoaderTest, duration_and_template_errors) {
  EXPECT_EQ(
      Check(Goal("        metric: stalled_referrals\n        max: 1\n"
                 "        for: 1 day\n        keep_firing_for: -5m\n")),
      "t.yaml:11: contracts[0].goals[0].for: invalid duration \"1 day\" "
      "(expected e.g. \"0s\", \"15m\", \"1d\", \"1h30m\") | "
      "t.yaml:12: contracts[0].goals[0].keep_firing_for: invalid duration "
      "\"-5m\" (expected e.g. \"0s\", \"15m\", \"1d\", \"1h30m\")");
  EXPECT_EQ(Check(Goal("        metric: stalled_referrals\n        max: 1\n"
                       "        summary: \"{{provder}} stalled\"\n"
                       "        description: \"{{value\"\n")),
            "t.yaml:11: contracts[0].goals[0].summary: unknown template "
            "variable \"provder\" (known: alertname, contract, provider, "
            "program, goal, severity, metric, window, value, target, "
            "sample_size, dimension, group, explanation) | "
            "t.yaml:12: contracts[0].goals[0].description: unclosed \"{{\" at "
            "offset 0");
}

TEST(RulesLoaderTest, confidence_errors) {
  EXPECT_EQ(Check(Goal("        metric: enrollment_rate\n        window: 30d\n"
                       "        min: 0.5\n        confidence: 1.5\n")),
            "t.yaml:12: contracts[0].goals[0].confidence: must be between 0 "
            "and 1 (exclusive)");
  EXPECT_EQ(Check(Goal("        metric: stalled_referrals\n        max: 5\n"
                       "        confidence: 0.9\n")),
            "t.yaml:11: contracts[0].goals[0].confidence: only proportion "
            "metrics (enrollment_rate, completion_rate, priority_share) can be "
            "judged statistically");
}

TEST(RulesLoaderTest, override_errors) {
  EXPECT_EQ(
      Check(Goal("        metric: enrollment_rate\n        window: 30d\n"
                 "        min: 0.5\n        overrides:\n"
                 "          - {provider: p3, min: 0.4}\n"
                 "          - {provider: p1, max: 0.4}\n"
                 "          - {provider: p2}\n"
                 "          - {min: 0.3}\n"
                 "          - {provider: p2, min: 0.4}\n"
                 "          - {provider: p2, min: 0.1}\n")),
      "t.yaml:13: contracts[0].goals[0].overrides[0].provider: \"p3\" is "
      "not one of the contract's providers | "
      "t.yaml:14: contracts[0].goals[0].overrides[1]: sets max but the "
      "goal uses min | "
      "t.yaml:15: contracts[0].goals[0].overrides[2]: exactly one of min "
      "and max is required | "
      "t.yaml:16: contracts[0].goals[0].overrides[3].provider: required | "
      "t.yaml:18: contracts[0].goals[0].overrides[5].provider: duplicate "
      "override for provider \"p2\"");
}

TEST(RulesLoaderTest, duplicate_goal_names) {
  EXPECT_EQ(Check(Goal("        metric: stalled_referrals\n        max: 1\n"
                       "      - name: g1\n        alert: B\n"
                       "        severity: page\n"
                       "        metric: stalled_referrals\n        max: 2\n")),
            "t.yaml:11: contracts[0].goals[1].name: duplicate goal name \"g1\" "
            "in contract \"c1\"");
}

// Found by tests/fuzz (rules): invalid UTF-8 reached protobuf's JSON
// parser, whose error quoted the raw bytes over three lines.
TEST(RulesLoaderTest, invalid_utf8_is_one_error_without_the_bytes) {
  EXPECT_EQ(Check(Goal("        summary: \"caf\xe9\"\n")),
            "t.yaml:9: contracts[0].goals[0].summary: not valid UTF-8");
  EXPECT_EQ(
      Check(Goal("        description: \"\xed\xa0\x80\"\n")),  // surrogate
      "t.yaml:9: contracts[0].goals[0].description: not valid UTF-8");
  for (const char* bad : {"\xc0\xaf", "\xf4\x90\x80\x80", "\xe2\x82"}) {
    EXPECT_EQ(Check(Goal(std::string("        summary: \"") + bad + "\"\n")),
              "t.yaml:9: contracts[0].goals[0].summary: not valid UTF-8")
        << bad;  // overlong, above U+10FFFF, truncated
  }
  EXPECT_EQ(Check(Goal("        \xff: 1\n")),
            "t.yaml:9: contracts[0].goals[0]: key is not valid UTF-8");
  EXPECT_EQ(Check(Goal("        summary: \"caf\xc3\xa9 \xf0\x9f\x93\x88\"\n"
                       "        metric: enrollment_rate\n"
                       "        window: 30d\n"
                       "        min: 0.5\n")),
            "OK");
}

// Found by tests/fuzz (rules): a key written over several lines put its
// newlines into the error, breaking "one error per line".
TEST(RulesLoaderTest, errors_stay_on_one_line) {
  EXPECT_EQ(Check(Goal("        ? \"met\\nric\\t\"\n        : 1\n")),
            "t.yaml:9: contracts[0].goals[0].met\\nric\\x09: unknown field");
  EXPECT_EQ(Check(Goal("        min: \"1\\n2\"\n")),
            "t.yaml:9: contracts[0].goals[0].min: expected a number, got "
            "\"1\\n2\"");
}

TEST(RulesLoaderTest, converts_to_goal_spec) {
  v1::RuleFile file;
  auto lines = YamlToProto(
      Goal("        metric: enrollment_rate\n        window: 30d\n"
           "        min: 0.6\n        min_sample: 20\n        for: 1d\n"
           "        keep_firing_for: 2h\n        confidence: 0.9\n"
           "        overrides: [{provider: p2, min: 0.5}]\n"),
      "t.yaml", &file);
  ASSERT_TRUE(lines.ok()) << lines.status();
  std::vector<ContractSpec> specs;
  ASSERT_TRUE(ValidateRuleFile(file, *lines, RuleSettings{}, &specs).empty());
  const GoalSpec& g = specs.at(0).goals.at(0);
  EXPECT_EQ(g.metric, v1::GOAL_METRIC_ENROLLMENT_RATE);
  EXPECT_EQ(g.window_days, 30);
  EXPECT_EQ(g.window, "30d");
  EXPECT_TRUE(g.is_min);
  EXPECT_EQ(g.target, 0.6);
  EXPECT_EQ(g.TargetFor("p1"), 0.6);
  EXPECT_EQ(g.TargetFor("p2"), 0.5);
  EXPECT_EQ(g.min_sample, 20);
  EXPECT_EQ(g.for_duration, absl::Hours(24));
  EXPECT_EQ(g.keep_firing_for, absl::Hours(2));
  EXPECT_EQ(g.confidence, 0.9);
  EXPECT_EQ(g.contract, "c1");
  EXPECT_EQ(g.source, "t.yaml:6");
  EXPECT_TRUE(specs[0].AppliesTo("p1", "workforce"));
  EXPECT_FALSE(specs[0].AppliesTo("p3", "workforce"));
  EXPECT_FALSE(specs[0].AppliesTo("p1", "housing"));
}

TEST(RulesLoaderTest, missing_path) {
  auto rules = LoadRules({"/nonexistent/rules.yaml"}, RuleSettings{});
  EXPECT_EQ(rules.status().message(),
            "/nonexistent/rules.yaml: no such file or directory");
}

TEST(RuleDurationTest, parses_and_formats) {
  EXPECT_EQ(*ParseDurationSpec("0s"), absl::ZeroDuration());
  EXPECT_EQ(*ParseDurationSpec("15m"), absl::Minutes(15));
  EXPECT_EQ(*ParseDurationSpec("1d"), absl::Hours(24));
  EXPECT_EQ(*ParseDurationSpec("1h30m"), absl::Minutes(90));
  EXPECT_EQ(*ParseDurationSpec("2w"), absl::Hours(24 * 14));
  EXPECT_EQ(*ParseDurationSpec("500ms"), absl::Milliseconds(500));
  EXPECT_FALSE(ParseDurationSpec("").ok());
  EXPECT_FALSE(ParseDurationSpec("1").ok());
  EXPECT_FALSE(ParseDurationSpec("d").ok());
  EXPECT_FALSE(ParseDurationSpec("1.5h").ok());
  // Each unit once, largest first (as Prometheus).
  EXPECT_FALSE(ParseDurationSpec("1h1h30m").ok());
  EXPECT_FALSE(ParseDurationSpec("30m1h").ok());
  EXPECT_EQ(*ParseDurationSpec("1w2d3h4m5s6ms"),
            absl::Hours(24 * 9 + 3) + absl::Minutes(4) + absl::Seconds(5) +
                absl::Milliseconds(6));
  EXPECT_EQ(FormatDurationSpec(absl::ZeroDuration()), "0s");
  EXPECT_EQ(FormatDurationSpec(absl::Hours(36)), "1d12h");
  EXPECT_EQ(FormatDurationSpec(absl::Seconds(90)), "1m30s");
}

TEST(RuleTemplateTest, renders_known_variables) {
  TemplateVars vars = {
      {"provider", "p1"}, {"value", "0.45"}, {"target", "0.6"}};
  EXPECT_EQ(
      RenderTemplate("{{provider}} rate {{ value }} below {{target}}", vars),
      "p1 rate 0.45 below 0.6");
  EXPECT_EQ(RenderTemplate("no vars", vars), "no vars");
  EXPECT_EQ(RenderTemplate("{{group}}!", vars), "!");
  EXPECT_TRUE(CheckTemplate("{{provider}} {{ explanation }}").ok());
  EXPECT_FALSE(CheckTemplate("{{client_key}}").ok());
}

}  // namespace
}  // namespace outcomes
