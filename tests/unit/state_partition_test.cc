// Hand-built event sequences with hand-computed figures (docs/metrics.md,
// daemon/state/FUNNEL_RULES.md). Defaults: horizon 120, M = 14, windows
// 7/30/90, min_cell 11. Ages are relative to kToday.
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "daemon/base/clock.h"
#include "daemon/state/partition_state.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

using v1::EventType;

const DayNumber kToday =
    DayOf(absl::FromCivil(absl::CivilDay(2026, 3, 1), absl::UTCTimeZone()),
          absl::UTCTimeZone());

class PartitionStateTest : public testing::Test {
 protected:
  // Applies one event of `age` days before kToday.
  void Add(EventType type, int age, const std::string& client,
           const std::string& race = "", bool priority = false,
           const std::string& program = "prog") {
    v1::ServiceEvent e;
    e.set_event_id("e" + std::to_string(seq_++));
    e.set_type(type);
    e.set_provider_id("prov");
    e.set_program_id(program);
    e.set_client_key(client);
    if (priority) e.add_priority_groups("justice_involved");
    if (!race.empty()) (*e.mutable_attributes())["race_ethnicity"] = race;
    state_.Apply(e, kToday - age);
  }
  void Ref(int age, const std::string& c, const std::string& race = "") {
    Add(v1::EVENT_TYPE_REFERRAL, age, c, race);
  }
  void Enr(int age, const std::string& c) {
    Add(v1::EVENT_TYPE_ENROLLMENT, age, c);
  }
  ProgramFigures Fig(DayNumber today = kToday) {
    auto all = state_.ComputeFigures(today);
    EXPECT_EQ(all.size(), 1u);
    return all.empty() ? ProgramFigures{} : all[0];
  }
  static const WindowFigures& W(const ProgramFigures& f, int days) {
    for (const WindowFigures& w : f.windows) {
      if (w.days == days) return w;
    }
    ADD_FAILURE() << "no window " << days;
    return f.windows[0];
  }

  StateSettings settings_;
  PartitionState state_{settings_};
  int seq_ = 0;
};

TEST_F(PartitionStateTest, WindowEventsCoverAgesZeroToNMinusOne) {
  for (int age : {0, 6, 7, 29, 30, 89, 90, 119}) {
    Add(v1::EVENT_TYPE_OUTCOME, age, "c");
  }
  const ProgramFigures f = Fig();
  EXPECT_EQ(W(f, 7).events[kOutcome], 2);   // ages 0, 6
  EXPECT_EQ(W(f, 30).events[kOutcome], 4);  // + 7, 29
  EXPECT_EQ(W(f, 90).events[kOutcome], 6);  // + 30, 89
  EXPECT_EQ(W(f, 90).events[kReferral], 0);
}

TEST_F(PartitionStateTest, DayRolloverMovesEventsOutOfWindows) {
  FakeClock clock(absl::FromCivil(absl::CivilSecond(2026, 3, 1, 23, 59, 0),
                                  absl::UTCTimeZone()));
  const absl::TimeZone tz = settings_.timezone;
  Add(v1::EVENT_TYPE_REFERRAL, 6, "c");
  EXPECT_EQ(W(Fig(DayOf(clock.Now(), tz)), 7).events[kReferral], 1);
  clock.Advance(absl::Minutes(1));  // midnight: the referral is now age 7
  EXPECT_EQ(DayOf(clock.Now(), tz), kToday + 1);
  EXPECT_EQ(W(Fig(DayOf(clock.Now(), tz)), 7).events[kReferral], 0);
  EXPECT_EQ(W(Fig(DayOf(clock.Now(), tz)), 30).events[kReferral], 1);
}

TEST_F(PartitionStateTest, HorizonEndsAt119Days) {
  Ref(119, "c");
  EXPECT_EQ(Fig().stalled_referrals, 1);
  EXPECT_TRUE(state_.ComputeFigures(kToday + 1).empty());  // age 120
}

TEST_F(PartitionStateTest, EnrollmentRateUsesMaturedCohort) {
  Ref(14, "young");  // not matured (age < M + 1)
  Ref(15, "a");      // 7d cohort is ages 15..21
  Enr(1, "a");       // day = referral + 14: in time
  Ref(21, "b");
  Enr(6, "b");   // referral + 15: late
  Ref(22, "c");  // 30d cohort only (ages 15..44)
  Enr(22, "c");  // same day: in time
  Ref(45, "d");  // 90d cohort only
  Enr(44, "young");
  const ProgramFigures f = Fig();
  EXPECT_EQ(W(f, 7).enrollment_rate, (Rate{1, 2}));
  EXPECT_EQ(W(f, 30).enrollment_rate, (Rate{2, 3}));
  EXPECT_EQ(W(f, 90).enrollment_rate, (Rate{2, 4}));
  EXPECT_DOUBLE_EQ(*W(f, 7).enrollment_rate.value(), 0.5);
}

TEST_F(PartitionStateTest, NoMaturedReferralsMeansNoEnrollmentRate) {
  Ref(14, "a");
  EXPECT_FALSE(W(Fig(), 7).enrollment_rate.value().has_value());
}

TEST_F(PartitionStateTest, EnrollmentBeforeReferralIsNotInTime) {
  Enr(30, "a");
  Ref(20, "a");
  const ProgramFigures f = Fig();
  EXPECT_EQ(W(f, 30).enrollment_rate, (Rate{0, 1}));
  EXPECT_EQ(f.stalled_referrals, 0);            // the client has an enrollment
  EXPECT_EQ(W(f, 30).days_to_enroll_count, 0);  // follows no referral
}

TEST_F(PartitionStateTest, StalledReferralsNeedNoEnrollmentAtAll) {
  Ref(15, "a");   // matured, never enrolled: stalled
  Ref(100, "b");  // matured, never enrolled: stalled
  Ref(14, "c");   // not matured
  Ref(40, "d");
  Enr(10, "d");  // late enrollment: not stalled, not in time
  Add(v1::EVENT_TYPE_REFERRAL, 50, "e", "", /*priority=*/true);
  const ProgramFigures f = Fig();
  EXPECT_EQ(f.stalled_referrals, 3);
  EXPECT_EQ(f.stalled_priority_referrals, 1);
  EXPECT_EQ(W(f, 30).enrollment_rate, (Rate{0, 2}));  // a, d
}

TEST_F(PartitionStateTest, RepeatReferralsAreJudgedEach) {
  Ref(40, "a");
  Ref(30, "a");
  Enr(20, "a");  // 20 days after the first referral, 10 after the second
  const ProgramFigures f = Fig();
  EXPECT_EQ(W(f, 30).enrollment_rate, (Rate{1, 2}));
  EXPECT_EQ(f.stalled_referrals, 0);
  // Paired with the most recent referral on or before it: 10 days.
  EXPECT_EQ(W(f, 30).days_to_enroll_count, 1);
  EXPECT_EQ(W(f, 30).days_to_enroll_p50, 10);
  EXPECT_EQ(W(f, 7).days_to_enroll_count, 0);
}

TEST_F(PartitionStateTest, EnrollmentWithoutReferral) {
  Add(v1::EVENT_TYPE_ENROLLMENT, 2, "a", "", /*priority=*/true);
  const ProgramFigures f = Fig();
  EXPECT_EQ(W(f, 7).events[kEnrollment], 1);
  EXPECT_EQ(W(f, 7).priority_share_enrollment, (Rate{1, 1}));
  EXPECT_EQ(W(f, 7).days_to_enroll_count, 0);
  EXPECT_FALSE(W(f, 7).days_to_enroll_p50.has_value());
  EXPECT_FALSE(W(f, 7).enrollment_rate.value().has_value());
}

TEST_F(PartitionStateTest, OutOfOrderArrivalGivesSameFigures) {
  Enr(10, "a");  // arrives before its referral
  Ref(20, "a");
  Enr(1, "b");
  Ref(16, "b");
  Ref(16, "c");
  PartitionState in_order(settings_);
  std::swap(state_, in_order);
  Ref(20, "a");
  Enr(10, "a");
  Ref(16, "c");
  Ref(16, "b");
  Enr(1, "b");
  EXPECT_EQ(state_.ComputeFigures(kToday), in_order.ComputeFigures(kToday));
  const ProgramFigures f = Fig();
  EXPECT_EQ(W(f, 7).enrollment_rate, (Rate{1, 3}));  // a in time, b late
  EXPECT_EQ(W(f, 30).days_to_enroll_count, 2);       // 10 and 15 days
  EXPECT_EQ(W(f, 30).days_to_enroll_p50, 10);
  EXPECT_EQ(W(f, 30).days_to_enroll_p90, 15);
  EXPECT_EQ(W(f, 7).days_to_enroll_count, 1);
  EXPECT_EQ(f.stalled_referrals, 1);  // c
}

TEST_F(PartitionStateTest, LateEventLandsInItsOwnDay) {
  Ref(3, "a");
  EXPECT_EQ(W(Fig(), 7).events[kReferral], 1);
  Ref(50, "b");  // arrives today, happened 50 days ago
  const ProgramFigures f = Fig();
  EXPECT_EQ(W(f, 7).events[kReferral], 1);
  EXPECT_EQ(W(f, 90).events[kReferral], 2);
  EXPECT_EQ(f.stalled_referrals, 1);
}

TEST_F(PartitionStateTest, DuplicateEnrollmentsEachGiveAValue) {
  Ref(10, "a");
  Enr(8, "a");
  Enr(5, "a");
  const WindowFigures& w = W(Fig(), 30);
  EXPECT_EQ(w.events[kEnrollment], 2);
  EXPECT_EQ(w.days_to_enroll_count, 2);  // values 2 and 5
  EXPECT_EQ(w.days_to_enroll_p50, 2);    // rank ceil(0.5 * 2) = 1
  EXPECT_EQ(w.days_to_enroll_p90, 5);    // rank ceil(0.9 * 2) = 2
}

TEST_F(PartitionStateTest, DaysToEnrollNearestRank) {
  // Ten clients, enrolled 1..10 days after referral; enrollment ages 0..9.
  for (int v = 1; v <= 10; ++v) {
    const std::string c = "c" + std::to_string(v);
    Ref(v - 1 + v, c);
    Enr(v - 1, c);
  }
  const ProgramFigures f = Fig();
  EXPECT_EQ(W(f, 30).days_to_enroll_count, 10);
  EXPECT_EQ(W(f, 30).days_to_enroll_p50, 5);  // rank 5
  EXPECT_EQ(W(f, 30).days_to_enroll_p90, 9);  // rank 9
  // 7d: enrollment ages 0..6 hold values 1..7: ranks 4 and 7.
  EXPECT_EQ(W(f, 7).days_to_enroll_count, 7);
  EXPECT_EQ(W(f, 7).days_to_enroll_p50, 4);
  EXPECT_EQ(W(f, 7).days_to_enroll_p90, 7);
}

TEST_F(PartitionStateTest, CompletionRateCountsEventsInWindow) {
  Add(v1::EVENT_TYPE_COMPLETION, 0, "a");  // no enrollment: still counts
  Add(v1::EVENT_TYPE_COMPLETION, 6, "b");
  Add(v1::EVENT_TYPE_COMPLETION, 10, "c");
  Add(v1::EVENT_TYPE_DISENROLLMENT, 1, "d");
  const ProgramFigures f = Fig();
  EXPECT_EQ(W(f, 7).completion_rate, (Rate{2, 3}));
  EXPECT_EQ(W(f, 30).completion_rate, (Rate{3, 4}));
}

TEST_F(PartitionStateTest, CompletionRateAbsentWithoutExits) {
  Ref(1, "a");
  EXPECT_FALSE(W(Fig(), 7).completion_rate.value().has_value());
}

TEST_F(PartitionStateTest, PriorityShareUsesEachEventsOwnGroups) {
  Add(v1::EVENT_TYPE_REFERRAL, 1, "a", "", true);
  Add(v1::EVENT_TYPE_REFERRAL, 2, "b", "", false);
  Add(v1::EVENT_TYPE_REFERRAL, 3, "c", "", false);
  Add(v1::EVENT_TYPE_REFERRAL, 20, "d", "", true);
  Add(v1::EVENT_TYPE_ENROLLMENT, 1, "a", "", false);  // own flag decides
  const ProgramFigures f = Fig();
  EXPECT_EQ(W(f, 7).priority_share_referral, (Rate{1, 3}));
  EXPECT_EQ(W(f, 30).priority_share_referral, (Rate{2, 4}));
  EXPECT_EQ(W(f, 7).priority_share_enrollment, (Rate{0, 1}));
}

TEST_F(PartitionStateTest, ProgramsAreSeparateFunnels) {
  Add(v1::EVENT_TYPE_REFERRAL, 20, "a", "", false, "p1");
  Add(v1::EVENT_TYPE_ENROLLMENT, 18, "a", "", false, "p2");
  const auto all = state_.ComputeFigures(kToday);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].program, "p1");
  EXPECT_EQ(all[0].stalled_referrals, 1);
  EXPECT_EQ(W(all[0], 7).enrollment_rate, (Rate{0, 1}));
}

TEST_F(PartitionStateTest, EvictFreesFunnelsWithoutChangingFigures) {
  Ref(119, "old");
  Ref(20, "a");
  Enr(100, "b");
  EXPECT_EQ(state_.num_funnels(), 3u);
  const auto before = state_.ComputeFigures(kToday + 30);
  state_.Evict(kToday + 30);  // keeps ages 0..119 as of kToday + 30
  EXPECT_EQ(state_.num_funnels(), 1u);
  EXPECT_EQ(state_.ComputeFigures(kToday + 30), before);
  state_.Evict(kToday + 200);
  EXPECT_EQ(state_.num_programs(), 0u);
}

TEST_F(PartitionStateTest, EventPastTheHorizonIsDroppedAndCounted) {
  Ref(0, "a");
  Ref(120, "b");  // breaks REQUIRES: its day slot holds a newer day
  EXPECT_EQ(state_.dropped_events(), 1u);
  EXPECT_EQ(W(Fig(), 90).events[kReferral], 1);
}

}  // namespace
}  // namespace outcomes
