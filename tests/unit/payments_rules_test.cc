// Payments blocks: validation errors (file:line: field path: why), the
// --horizon rule, periods and amounts, each value computed by hand.
#include <string>

#include "absl/strings/str_join.h"
#include "daemon/rules/payment_validator.h"
#include "daemon/rules/payments.h"
#include "daemon/rules/rules_loader.h"
#include "daemon/rules/yaml_proto.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

const char kHeader[] =
    "contracts:\n"               // 1
    "  - id: c1\n"               // 2
    "    program: workforce\n"   // 3
    "    payments:\n"            // 4
    "      period: month\n"      // 5
    "      amount: 1000\n"       // 6
    "      components:\n"        // 7
    "        - name: served\n";  // 8

// "OK", or the errors joined by " | ".
std::string Check(const std::string& tail, int horizon = 120) {
  v1::RuleFile file;
  auto lines = YamlToProto(kHeader + tail, "t.yaml", &file);
  if (!lines.ok()) return std::string(lines.status().message());
  RuleSettings settings;
  settings.horizon_days = horizon;
  std::vector<ContractSpec> specs;
  auto errors = ValidateRuleFile(file, *lines, settings, &specs);
  return errors.empty() ? "OK" : absl::StrJoin(errors, " | ");
}

DayNumber Day(int y, int m, int d) {
  return static_cast<DayNumber>(absl::CivilDay(y, m, d) -
                                absl::CivilDay(1970, 1, 1));
}

TEST(PaymentsRulesTest, valid_share_and_rate_card) {
  EXPECT_EQ(Check("          share: 0.96\n"
                  "          target: 35\n"
                  "          count: {type: enrollment}\n"
                  "        - name: placed\n"
                  "          price: 1200\n"
                  "          priority_premium: 0.4\n"
                  "          cap: 30000\n"
                  "          unit: event\n"
                  "          count: {type: outcome, outcome_code: job, "
                  "priority: true, value_above: 18.67}\n"),
            "OK");
}

TEST(PaymentsRulesTest, unknown_key_is_named_with_its_line) {
  EXPECT_EQ(Check("          share: 0.5\n"
                  "          targett: 3\n"),
            "t.yaml:10: contracts[0].payments.components[0].targett: "
            "unknown field");
}

TEST(PaymentsRulesTest, shares_must_add_up_to_at_most_one) {
  EXPECT_EQ(Check("          share: 0.6\n"
                  "          target: 1\n"
                  "          count: {type: enrollment}\n"
                  "        - name: more\n"
                  "          share: 0.5\n"
                  "          target: 1\n"
                  "          count: {type: referral}\n"),
            "t.yaml:7: contracts[0].payments.components: shares add up to "
            "1.1, more than 1");
}

TEST(PaymentsRulesTest, share_or_price_not_both_nor_neither) {
  EXPECT_EQ(Check("          share: 0.5\n"
                  "          target: 2\n"
                  "          price: 3\n"
                  "          count: {type: enrollment}\n"
                  "        - name: none\n"
                  "          count: {type: enrollment}\n"),
            "t.yaml:8: contracts[0].payments.components[0]: either share and "
            "target or price, not both | "
            "t.yaml:13: contracts[0].payments.components[1]: needs share and "
            "target, or price");
}

TEST(PaymentsRulesTest, ranges_and_names) {
  EXPECT_EQ(
      Check("          share: 0.5\n          target: 0\n          count: "
            "{type: enrolment}\n        - name: served\n          price: -1\n  "
            "        priority_premium: -1\n          cap: 0\n          unit: "
            "person\n          count: {type: referral, outcome_code: x}\n"),
      "t.yaml:11: contracts[0].payments.components[0].count.type: "
      "unknown event type \"enrolment\" (expected referral, enrollment, "
      "completion, disenrollment or outcome) | "
      "t.yaml:10: contracts[0].payments.components[0].target: must be > "
      "0 | "
      "t.yaml:16: contracts[0].payments.components[1].unit: unknown unit "
      "\"person\" (expected client or event) | "
      "t.yaml:17: contracts[0].payments.components[1].count.outcome_code: "
      "only used with type outcome | "
      "t.yaml:13: contracts[0].payments.components[1].price: must be >= "
      "0 | "
      "t.yaml:14: contracts[0].payments.components[1].priority_premium: "
      "must be >= 0 | "
      "t.yaml:15: contracts[0].payments.components[1].cap: must be > 0 | "
      "t.yaml:12: contracts[0].payments.components[1].name: duplicate "
      "component name \"served\"");
}

TEST(PaymentsRulesTest, quarter_needs_a_horizon_of_184_days) {
  const std::string quarter =
      "          share: 1\n"
      "          target: 1\n"
      "          count: {type: enrollment}\n";
  std::string yaml = quarter;
  v1::RuleFile unused;
  std::string header(kHeader);
  header.replace(header.find("month"), 5, "quarter");
  auto check = [&](int horizon) {
    v1::RuleFile file;
    auto lines = YamlToProto(header + yaml, "t.yaml", &file);
    RuleSettings s;
    s.horizon_days = horizon;
    std::vector<ContractSpec> specs;
    return absl::StrJoin(ValidateRuleFile(file, *lines, s, &specs), " | ");
  };
  EXPECT_EQ(check(120),
            "t.yaml:5: contracts[0].payments.period: quarter payments need "
            "--horizon of at least 184 days (the current and the previous "
            "quarter must lie within it); --horizon is 120");
  EXPECT_EQ(check(184), "");
  EXPECT_EQ(Check(quarter, 62), "OK");  // months: 62 days
  EXPECT_EQ(Check(quarter, 61),
            "t.yaml:5: contracts[0].payments.period: month payments need "
            "--horizon of at least 62 days (the current and the previous "
            "month must lie within it); --horizon is 61");
}

TEST(PaymentsRulesTest, calendar_periods) {
  const Period march = PeriodOf(PeriodKind::kMonth, Day(2026, 3, 12));
  EXPECT_EQ(march, (Period{Day(2026, 3, 1), Day(2026, 3, 31)}));
  EXPECT_EQ(PreviousPeriod(PeriodKind::kMonth, march),
            (Period{Day(2026, 2, 1), Day(2026, 2, 28)}));
  const Period jan = PeriodOf(PeriodKind::kMonth, Day(2026, 1, 1));
  EXPECT_EQ(PreviousPeriod(PeriodKind::kMonth, jan),
            (Period{Day(2025, 12, 1), Day(2025, 12, 31)}));
  EXPECT_EQ(PeriodOf(PeriodKind::kMonth, Day(2028, 2, 29)).days(), 29);
  const Period q2 = PeriodOf(PeriodKind::kQuarter, Day(2026, 6, 30));
  EXPECT_EQ(q2, (Period{Day(2026, 4, 1), Day(2026, 6, 30)}));
  EXPECT_EQ(PreviousPeriod(PeriodKind::kQuarter, q2),
            (Period{Day(2026, 1, 1), Day(2026, 3, 31)}));
  const Period q1 = PeriodOf(PeriodKind::kQuarter, Day(2026, 1, 1));
  EXPECT_EQ(PreviousPeriod(PeriodKind::kQuarter, q1),
            (Period{Day(2025, 10, 1), Day(2025, 12, 31)}));
  // The longest current + previous spans: July-August, Q3-Q4.
  EXPECT_EQ(Day(2026, 8, 31) - Day(2026, 7, 1) + 1,
            PaymentHorizonDays(PeriodKind::kMonth));
  EXPECT_EQ(Day(2026, 12, 31) - Day(2026, 7, 1) + 1,
            PaymentHorizonDays(PeriodKind::kQuarter));
}

PaymentComponentSpec Share(double share, double target) {
  PaymentComponentSpec c;
  c.share = share;
  c.target = target;
  return c;
}

PaymentComponentSpec Rate(double price, double premium,
                          std::optional<double> cap) {
  PaymentComponentSpec c;
  c.rate_card = true;
  c.price = price;
  c.priority_premium = premium;
  c.cap = cap;
  return c;
}

TEST(PaymentsRulesTest, share_is_pro_rata_up_to_the_target) {
  // 0.96 x 12500 = 12000; 28 of 35 = 0.8.
  EXPECT_DOUBLE_EQ(EarnedOf(Share(0.96, 35), 12500, {28, 0}), 9600);
  EXPECT_DOUBLE_EQ(EarnedOf(Share(0.96, 35), 12500, {50, 0}), 12000);
  EXPECT_DOUBLE_EQ(EarnedOf(Share(0.02, 8), 150000, {2, 2}), 750);
  EXPECT_DOUBLE_EQ(EarnedOf(Share(0.02, 8), 150000, {0, 0}), 0);
  EXPECT_EQ(MaximumOf(Share(0.02, 8), 150000), 3000);
}

TEST(PaymentsRulesTest, rate_card_premium_and_cap) {
  // 1200 x (15 + 0.4 x 5) = 20400.
  EXPECT_DOUBLE_EQ(EarnedOf(Rate(1200, 0.4, 30000), 0, {15, 5}), 20400);
  // 1200 x (30 + 0.4 x 10) = 40800, capped.
  EXPECT_DOUBLE_EQ(EarnedOf(Rate(1200, 0.4, 30000), 0, {30, 10}), 30000);
  EXPECT_DOUBLE_EQ(EarnedOf(Rate(150, 0, std::nullopt), 0, {5, 3}), 750);
  EXPECT_EQ(MaximumOf(Rate(1200, 0.4, 30000), 0), 30000);
  EXPECT_EQ(MaximumOf(Rate(150, 0, std::nullopt), 0), std::nullopt);
}

TEST(PaymentsRulesTest, lines_with_projection) {
  ContractSpec c;
  c.id = "c1";
  c.program = "workforce";
  PaymentSpec spec;
  spec.amount = 1000;
  PaymentComponentSpec served = Share(0.5, 10);
  served.name = "served";
  spec.components = {served};
  c.payments = spec;
  const DayNumber today = Day(2026, 3, 12);
  // Current: 6 clients; previous: 12.
  const auto lines = PaymentLines(c, "acme", today, {{6, 1}, {12, 0}});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[0].current);
  EXPECT_EQ(lines[0].period, (Period{Day(2026, 3, 1), Day(2026, 3, 31)}));
  EXPECT_EQ(lines[0].units, 6);
  EXPECT_DOUBLE_EQ(lines[0].earned, 300);  // 0.5 x 1000 x 6/10
  EXPECT_EQ(lines[0].maximum, 500);
  // 6 units in 12 days of 31: 15.5.
  EXPECT_DOUBLE_EQ(*lines[0].projected_units, 15.5);
  EXPECT_FALSE(lines[1].current);
  EXPECT_EQ(lines[1].period, (Period{Day(2026, 2, 1), Day(2026, 2, 28)}));
  EXPECT_DOUBLE_EQ(lines[1].earned, 500);
  EXPECT_EQ(lines[1].projected_units, std::nullopt);
  // The queries: current up to today, previous whole.
  const auto q = PaymentQueries(spec, today);
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].from, Day(2026, 3, 1));
  EXPECT_EQ(q[0].to, today);
  EXPECT_EQ(q[1].from, Day(2026, 2, 1));
  EXPECT_EQ(q[1].to, Day(2026, 2, 28));
}

}  // namespace
}  // namespace outcomes
