#include "daemon/alerts/wilson.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

TEST(WilsonTest, z_values) {
  EXPECT_NEAR(TwoSidedZ(0.95), 1.959964, 1e-6);
  EXPECT_NEAR(TwoSidedZ(0.90), 1.644854, 1e-6);
  EXPECT_NEAR(TwoSidedZ(0.99), 2.575829, 1e-6);
}

TEST(WilsonTest, five_of_ten_at_95) {
  const Interval ci = WilsonInterval(5, 10, 0.95);
  EXPECT_NEAR(ci.lower, 0.2366, 5e-5);
  EXPECT_NEAR(ci.upper, 0.7634, 5e-5);
}

TEST(WilsonTest, known_values) {
  Interval ci = WilsonInterval(0, 10, 0.95);
  EXPECT_EQ(ci.lower, 0);
  EXPECT_NEAR(ci.upper, 0.2775, 5e-5);
  ci = WilsonInterval(10, 10, 0.95);
  EXPECT_NEAR(ci.lower, 0.7225, 5e-5);
  EXPECT_NEAR(ci.upper, 1, 1e-12);
  ci = WilsonInterval(81, 263, 0.95);  // Wilson (1927)-style textbook case
  EXPECT_NEAR(ci.lower, 0.2553, 5e-5);
  EXPECT_NEAR(ci.upper, 0.3662, 5e-5);
  ci = WilsonInterval(2, 5, 0.90);
  EXPECT_NEAR(ci.lower, 0.1427, 5e-5);
  EXPECT_NEAR(ci.upper, 0.7275, 5e-5);
}

TEST(WilsonTest, no_trials_is_everything) {
  const Interval ci = WilsonInterval(0, 0, 0.9);
  EXPECT_EQ(ci.lower, 0);
  EXPECT_EQ(ci.upper, 1);
}

}  // namespace
}  // namespace outcomes
