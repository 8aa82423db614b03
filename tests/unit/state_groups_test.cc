// Subgroup rates, small-cell suppression (min_cell 11: 10 is hidden, 11 is
// shown), complementary suppression and the per-dimension value cap.
#include <string>
#include <vector>

#include "daemon/state/partition_state.h"
#include "daemon/state/suppression.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

constexpr DayNumber kToday = 20500;

// "group:den" for shown groups, "group:hidden" for suppressed ones.
std::string Show(const std::vector<GroupRate>& groups) {
  std::string out;
  for (const GroupRate& g : groups) {
    if (!out.empty()) out += " ";
    out += g.group + ":" +
           (g.suppressed ? "hidden" : std::to_string(g.rate.denominator));
  }
  return out;
}

std::vector<GroupRate> Groups(std::vector<std::pair<std::string, int>> dens) {
  std::vector<GroupRate> out;
  for (const auto& [name, den] : dens) {
    out.push_back({"race_ethnicity", name, Rate{0, den}});
  }
  SuppressByDimension(11, out);
  return out;
}

TEST(SuppressionTest, TenIsHiddenElevenIsShown) {
  EXPECT_EQ(Show(Groups({{"a", 11}, {"b", 11}})), "a:11 b:11");
  // b alone would be recoverable from the total: the smallest shown group
  // (a, 11) is hidden too.
  EXPECT_EQ(Show(Groups({{"a", 11}, {"b", 10}, {"c", 40}})),
            "a:hidden b:hidden c:40");
}

TEST(SuppressionTest, ComplementTiesBrokenByName) {
  EXPECT_EQ(Show(Groups({{"x", 3}, {"b", 20}, {"a", 20}})),
            "x:hidden b:20 a:hidden");
}

TEST(SuppressionTest, NoComplementWhenHiddenGroupsReachMinCell) {
  EXPECT_EQ(Show(Groups({{"a", 5}, {"b", 6}, {"c", 20}})),
            "a:hidden b:hidden c:20");
}

TEST(SuppressionTest, SingleSmallGroupIsHidden) {
  EXPECT_EQ(Show(Groups({{"a", 1}})), "a:hidden");
}

TEST(SuppressionTest, DimensionsAreIndependent) {
  std::vector<GroupRate> g = {{"race", "a", Rate{0, 3}},
                              {"race", "b", Rate{0, 30}},
                              {"sex", "f", Rate{0, 12}},
                              {"sex", "m", Rate{0, 12}}};
  SuppressByDimension(11, g);
  EXPECT_EQ(Show(g), "a:hidden b:hidden f:12 m:12");
}

class GroupRateTest : public testing::Test {
 protected:
  void Add(v1::EventType type, int age, const std::string& client,
           const std::string& race) {
    v1::ServiceEvent e;
    e.set_event_id(std::to_string(seq_++));
    e.set_type(type);
    e.set_provider_id("prov");
    e.set_program_id("prog");
    e.set_client_key(client);
    if (!race.empty()) (*e.mutable_attributes())["race_ethnicity"] = race;
    state_->Apply(e, kToday - age);
  }
  // n completions (first `done` of them completed) of group `race`.
  void Exits(const std::string& race, int n, int done) {
    for (int i = 0; i < n; ++i) {
      Add(i < done ? v1::EVENT_TYPE_COMPLETION : v1::EVENT_TYPE_DISENROLLMENT,
          1, race + std::to_string(i), race);
    }
  }
  const WindowFigures& Window7() {
    figures_ = state_->ComputeFigures(kToday);
    return figures_.at(0).windows.at(0);
  }

  StateSettings settings_;
  std::unique_ptr<PartitionState> state_ =
      std::make_unique<PartitionState>(settings_);
  std::vector<ProgramFigures> figures_;
  int seq_ = 0;
};

TEST_F(GroupRateTest, CompletionGroupsUseTheExitEventsOwnAttributes) {
  Exits("black", 12, 9);
  Exits("white", 11, 11);
  Exits("", 3, 0);  // no attribute: only in the overall rate
  const WindowFigures& w = Window7();
  EXPECT_EQ(w.completion_rate, (Rate{20, 26}));
  ASSERT_EQ(w.completion_groups.size(), 2u);
  EXPECT_EQ(w.completion_groups[0],
            (GroupRate{"race_ethnicity", "black", Rate{9, 12}, false}));
  EXPECT_EQ(w.completion_groups[1],
            (GroupRate{"race_ethnicity", "white", Rate{11, 11}, false}));
}

TEST_F(GroupRateTest, TenCasesAreSuppressedWithTheirComplement) {
  Exits("black", 10, 5);
  Exits("white", 11, 6);
  Exits("asian", 30, 10);
  EXPECT_EQ(Show(Window7().completion_groups),
            "asian:30 black:hidden white:hidden");
}

TEST_F(GroupRateTest, EnrollmentGroupIsDecidedByTheReferral) {
  for (int i = 0; i < 11; ++i) {
    const std::string c = "c" + std::to_string(i);
    Add(v1::EVENT_TYPE_REFERRAL, 20, c, "black");
    if (i < 4) Add(v1::EVENT_TYPE_ENROLLMENT, 15, c, "white");
  }
  const WindowFigures& w = Window7();
  EXPECT_EQ(w.enrollment_rate, (Rate{4, 11}));
  ASSERT_EQ(w.enrollment_groups.size(), 1u);
  EXPECT_EQ(w.enrollment_groups[0],
            (GroupRate{"race_ethnicity", "black", Rate{4, 11}, false}));
}

TEST_F(GroupRateTest, ValuesPastTheCapFoldIntoNoGroup) {
  settings_.max_groups_per_dimension = 2;
  state_ = std::make_unique<PartitionState>(settings_);
  Exits("a", 11, 1);
  Exits("b", 11, 2);
  Exits("c", 11, 3);  // third distinct value: no group
  const WindowFigures& w = Window7();
  EXPECT_EQ(Show(w.completion_groups), "a:11 b:11");
  EXPECT_EQ(w.completion_rate, (Rate{6, 33}));
  EXPECT_EQ(state_->groups().overflow_events(0), 11u);
}

}  // namespace
}  // namespace outcomes
