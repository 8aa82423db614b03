#include "daemon/evaluation_loop.h"

#include "gtest/gtest.h"
#include "prometheus/registry.h"

namespace outcomes {
namespace {

class EvaluationLoopTest : public ::testing::Test {
 protected:
  EvaluationLoopTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2026, 11, 18, 23, 59, 50),
                               absl::UTCTimeZone())),
        store_(StateSettings{}),
        exporter_(registry_),
        loop_(store_, exporter_, clock_, absl::UTCTimeZone(),
              absl::Seconds(15)) {}

  FakeClock clock_;
  prometheus::Registry registry_;
  StateStore store_;
  FiguresExporter exporter_;
  EvaluationLoop loop_;
};

TEST_F(EvaluationLoopTest, WaitsTheIntervalOrUntilJustPastMidnight) {
  EXPECT_EQ(loop_.NextWait(clock_.Now()),
            absl::Seconds(10) + absl::Milliseconds(1));
  clock_.Advance(absl::Minutes(1));  // 00:00:50 the next day
  EXPECT_EQ(loop_.NextWait(clock_.Now()), absl::Seconds(15));
}

TEST_F(EvaluationLoopTest, RunOnceComputesTodayAndTellsListeners) {
  int calls = 0;
  DayNumber day = 0;
  loop_.AddListener([&](const StoreSnapshot& s) {
    ++calls;
    day = s.today;
  });
  store_.Assign(PartitionId{"t", 0});
  loop_.RunOnce();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(day, DayOf(clock_.Now(), absl::UTCTimeZone()));
  EXPECT_EQ(loop_.Latest()->today, day);
  ASSERT_EQ(loop_.Latest()->partitions.size(), 1u);
  const DayNumber first_day = day;
  clock_.Advance(absl::Seconds(11));  // past midnight
  loop_.RunOnce();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(day, first_day + 1);
  EXPECT_EQ(loop_.Latest()->today, first_day + 1);
}

}  // namespace
}  // namespace outcomes
