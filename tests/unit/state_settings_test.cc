#include "daemon/state/state_settings.h"

#include "gtest/gtest.h"

namespace outcomes {
namespace {

TEST(StateSettingsTest, DefaultsAreValid) {
  EXPECT_TRUE(ValidateStateSettings(StateSettings{}).ok());
}

TEST(StateSettingsTest, WindowMustFitHorizonWithEnrollWithin) {
  StateSettings s;
  s.windows_days = {106};  // 14 + 106 = 120 = horizon
  EXPECT_FALSE(ValidateStateSettings(s).ok());
  s.windows_days = {105};
  EXPECT_TRUE(ValidateStateSettings(s).ok());
}

TEST(StateSettingsTest, RejectsBadValues) {
  StateSettings s;
  s.windows_days = {};
  EXPECT_FALSE(ValidateStateSettings(s).ok());
  s = StateSettings{};
  s.windows_days = {7, 7};
  EXPECT_FALSE(ValidateStateSettings(s).ok());
  s = StateSettings{};
  s.min_cell = 0;
  EXPECT_FALSE(ValidateStateSettings(s).ok());
  s = StateSettings{};
  s.dimensions = {"a", "a"};
  EXPECT_FALSE(ValidateStateSettings(s).ok());
  s = StateSettings{};
  s.max_groups_per_dimension = 256;
  EXPECT_FALSE(ValidateStateSettings(s).ok());
}

TEST(StateSettingsTest, WindowLabel) { EXPECT_EQ(WindowLabel(30), "30d"); }

}  // namespace
}  // namespace outcomes
