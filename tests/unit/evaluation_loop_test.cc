#include "daemon/evaluation_loop.h"

#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace outcomes {
namespace {

class EvaluationLoopTest : public ::testing::Test {
 protected:
  EvaluationLoopTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2026, 11, 18, 23, 59, 50),
                               absl::UTCTimeZone())),
        store_(StateSettings{}),
        exporter_(registry_),
        loop_(store_, exporter_, clock_, absl::UTCTimeZone(), absl::Seconds(15),
              registry_) {}

  // The text of outcomes_last_evaluation_timestamp_seconds, or "absent".
  std::string LastEvaluation() {
    const std::string text =
        prometheus::TextSerializer().Serialize(registry_.Collect());
    const std::string key = "\noutcomes_last_evaluation_timestamp_seconds ";
    const size_t at = text.find(key);
    if (at == std::string::npos) return "absent";
    const size_t from = at + key.size();
    return text.substr(from, text.find('\n', from) - from);
  }

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

TEST_F(EvaluationLoopTest, LastEvaluationTimestampIsTheClocksStartTime) {
  EXPECT_EQ(LastEvaluation(), "absent");  // no evaluation yet
  std::string seen_by_listener;
  loop_.AddListener([&](const StoreSnapshot&) {
    seen_by_listener = LastEvaluation();
    clock_.Advance(absl::Seconds(3));  // a slow goal evaluation
  });
  loop_.RunOnce();
  EXPECT_EQ(seen_by_listener, "absent");  // set only once it is done
  // 2026-11-18T23:59:50Z, when the evaluation started.
  EXPECT_EQ(LastEvaluation(), "1795046390");
  clock_.Advance(absl::Seconds(12));
  loop_.RunOnce();
  EXPECT_EQ(LastEvaluation(), "1795046405");
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
