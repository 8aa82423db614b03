// AlertLifecycle with a FakeClock: for, keep_firing_for, flapping, resend,
// resolved retention, restart from a snapshot.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/alerts/alert_lifecycle.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1767571200);  // 2026-01-05

AlertInput Input(const std::string& provider, absl::Duration for_duration,
                 absl::Duration keep = absl::ZeroDuration()) {
  AlertInput in;
  in.labels = {{"alertname", "A"}, {"provider", provider}};
  in.annotations = {{"summary", absl::StrCat(provider, " short")}};
  in.for_duration = for_duration;
  in.keep_firing_for = keep;
  return in;
}

class LifecycleTest : public ::testing::Test {
 protected:
  // "p1=pending p2=firing", in label order; "" when none.
  std::string States() const {
    std::vector<std::string> parts;
    for (const AlertInstance& a : lifecycle_.Instances()) {
      parts.push_back(
          absl::StrCat(a.labels.at("provider"), "=", AlertPhaseName(a.phase)));
    }
    return absl::StrJoin(parts, " ");
  }
  // "p1:firing:+4m p2:resolved:-0s" (endsAt relative to now); "" when none.
  std::string Due() {
    std::vector<std::string> parts;
    for (const AlertNotification& n : lifecycle_.TakeDueNotifications()) {
      const absl::Duration ends = n.ends_at - clock_.Now();
      parts.push_back(absl::StrCat(
          n.labels.at("provider"), ":", n.resolved ? "resolved" : "firing", ":",
          ends >= absl::ZeroDuration() ? "+" : "-",
          absl::FormatDuration(absl::AbsDuration(ends))));
    }
    return absl::StrJoin(parts, " ");
  }
  void Eval(const std::vector<AlertInput>& holding) {
    lifecycle_.Update(holding);
  }
  void At(absl::Duration since_start) { clock_.Set(kStart + since_start); }

  FakeClock clock_{kStart};
  AlertLifecycle lifecycle_{AlertLifecycle::Options{}, clock_};
};

TEST_F(LifecycleTest, for_zero_fires_at_once) {
  Eval({Input("p1", absl::ZeroDuration())});
  EXPECT_EQ(States(), "p1=firing");
  EXPECT_EQ(Due(), "p1:firing:+4m");
  EXPECT_EQ(Due(), "");
}

TEST_F(LifecycleTest, pending_until_for_has_passed) {
  Eval({Input("p1", absl::Minutes(10))});
  EXPECT_EQ(States(), "p1=pending");
  EXPECT_EQ(Due(), "");
  At(absl::Minutes(9));
  Eval({Input("p1", absl::Minutes(10))});
  EXPECT_EQ(States(), "p1=pending");
  At(absl::Minutes(10));
  Eval({Input("p1", absl::Minutes(10))});
  EXPECT_EQ(States(), "p1=firing");
  EXPECT_EQ(Due(), "p1:firing:+4m");
}

TEST_F(LifecycleTest, flapping_pending_restarts_the_timer) {
  Eval({Input("p1", absl::Minutes(10))});
  At(absl::Minutes(5));
  Eval({});
  EXPECT_EQ(States(), "");
  At(absl::Minutes(6));
  Eval({Input("p1", absl::Minutes(10))});
  At(absl::Minutes(15));
  Eval({Input("p1", absl::Minutes(10))});
  EXPECT_EQ(States(), "p1=pending");
  At(absl::Minutes(16));
  Eval({Input("p1", absl::Minutes(10))});
  EXPECT_EQ(States(), "p1=firing");
}

TEST_F(LifecycleTest, firing_resends_every_interval) {
  Eval({Input("p1", absl::ZeroDuration())});
  EXPECT_EQ(Due(), "p1:firing:+4m");
  At(absl::Seconds(59));
  Eval({Input("p1", absl::ZeroDuration())});
  EXPECT_EQ(Due(), "");
  At(absl::Seconds(60));
  Eval({Input("p1", absl::ZeroDuration())});
  EXPECT_EQ(Due(), "p1:firing:+4m");
}

TEST_F(LifecycleTest, resolves_at_once_without_keep_firing_for) {
  Eval({Input("p1", absl::ZeroDuration())});
  Due();
  At(absl::Minutes(1));
  Eval({});
  EXPECT_EQ(States(), "p1=resolved");
  EXPECT_EQ(Due(), "p1:resolved:+0");
  At(absl::Minutes(1) + absl::Seconds(30));
  Eval({});
  EXPECT_EQ(Due(), "");
  At(absl::Minutes(2));
  Eval({});
  EXPECT_EQ(Due(), "p1:resolved:-1m");  // re-sent while retained
  At(absl::Minutes(16));
  Eval({});
  EXPECT_EQ(States(), "");  // 15 minutes after resolving
  EXPECT_EQ(Due(), "");
}

TEST_F(LifecycleTest, keep_firing_for_counts_from_first_failed_evaluation) {
  const absl::Duration keep = absl::Minutes(10);
  Eval({Input("p1", absl::ZeroDuration(), keep)});
  At(absl::Minutes(1));
  Eval({});
  EXPECT_EQ(States(), "p1=firing");
  At(absl::Minutes(5));
  Eval({Input("p1", absl::ZeroDuration(), keep)});  // flaps back: resets
  At(absl::Minutes(6));
  Eval({});
  At(absl::Minutes(15));
  Eval({});
  EXPECT_EQ(States(), "p1=firing");
  At(absl::Minutes(16));
  Eval({});
  EXPECT_EQ(States(), "p1=resolved");
}

TEST_F(LifecycleTest, resolved_then_holding_again_is_a_new_pending_instance) {
  Eval({Input("p1", absl::Minutes(5))});
  At(absl::Minutes(5));
  Eval({Input("p1", absl::Minutes(5))});
  At(absl::Minutes(6));
  Eval({});
  EXPECT_EQ(States(), "p1=resolved");
  At(absl::Minutes(7));
  Eval({Input("p1", absl::Minutes(5))});
  EXPECT_EQ(States(), "p1=pending");
  EXPECT_EQ(lifecycle_.Instances()[0].active_at, kStart + absl::Minutes(7));
}

TEST_F(LifecycleTest, one_instance_per_label_set) {
  Eval({Input("p1", absl::ZeroDuration()), Input("p2", absl::Minutes(1))});
  EXPECT_EQ(States(), "p1=firing p2=pending");
  Eval({Input("p2", absl::Minutes(1))});
  EXPECT_EQ(States(), "p1=resolved p2=pending");
}

TEST_F(LifecycleTest, restart_keeps_for_timer_and_does_not_resend) {
  Eval({Input("p1", absl::Minutes(10)), Input("p2", absl::ZeroDuration())});
  EXPECT_EQ(Due(), "p2:firing:+4m");
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/alerts_lifecycle_test.snapshot");
  ASSERT_TRUE(SaveAlertSnapshot(lifecycle_.Snapshot(), path).ok());

  At(absl::Seconds(30));
  AlertLifecycle restarted(AlertLifecycle::Options{}, clock_);
  auto snapshot = LoadAlertSnapshot(path);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  ASSERT_TRUE(restarted.Restore(*snapshot).ok());
  restarted.Update(
      {Input("p1", absl::Minutes(10)), Input("p2", absl::ZeroDuration())});
  EXPECT_TRUE(restarted.TakeDueNotifications().empty());  // no duplicate
  At(absl::Minutes(1));
  restarted.Update(
      {Input("p1", absl::Minutes(10)), Input("p2", absl::ZeroDuration())});
  ASSERT_EQ(restarted.TakeDueNotifications().size(), 1u);  // regular resend
  At(absl::Minutes(10));
  restarted.Update(
      {Input("p1", absl::Minutes(10)), Input("p2", absl::ZeroDuration())});
  const auto instances = restarted.Instances();
  ASSERT_EQ(instances.size(), 2u);
  EXPECT_EQ(instances[0].phase, AlertPhase::kFiring);  // timer not reset
  EXPECT_EQ(instances[0].active_at, kStart);
  EXPECT_EQ(instances[1].fired_at, kStart);
  std::remove(path.c_str());
}

TEST_F(LifecycleTest, snapshot_errors) {
  EXPECT_EQ(LoadAlertSnapshot("/nonexistent/x").status().code(),
            absl::StatusCode::kNotFound);
  v1::AlertStateSnapshot bad;
  bad.set_version(7);
  EXPECT_FALSE(lifecycle_.Restore(bad).ok());
  bad.set_version(1);
  bad.add_instances()->mutable_labels()->insert({"alertname", "A"});
  EXPECT_EQ(lifecycle_.Restore(bad).message(),
            "alert snapshot: unknown alert state");
}

TEST_F(LifecycleTest, drop_forgets_without_notifying) {
  Eval({Input("p1", absl::ZeroDuration()), Input("p2", absl::ZeroDuration())});
  lifecycle_.Drop(
      [](const AlertInstance& a) { return a.labels.at("provider") == "p1"; });
  EXPECT_EQ(States(), "p2=firing");
  EXPECT_EQ(Due(), "p2:firing:+4m");
}

}  // namespace
}  // namespace outcomes

namespace outcomes {
namespace {

class ParkingTest : public LifecycleTest {
 protected:
  void EvalOwning(const std::vector<AlertInput>& holding, bool owned) {
    lifecycle_.Update(holding, [owned](const AlertLabels&) { return owned; });
  }
};

TEST_F(ParkingTest, not_owned_instances_are_neither_resolved_nor_resent) {
  At(absl::ZeroDuration());
  EvalOwning({Input("p1", absl::ZeroDuration())}, true);
  EXPECT_EQ(Due(), "p1:firing:+4m");
  At(absl::Seconds(30));
  EvalOwning({}, false);  // partition revoked: no figures for p1
  EXPECT_EQ(States(), "p1=firing");
  At(absl::Minutes(5));
  EvalOwning({}, false);
  EXPECT_EQ(Due(), "");  // parked: not re-sent
  At(absl::Minutes(6));
  EvalOwning({Input("p1", absl::ZeroDuration())}, true);  // back, still short
  EXPECT_EQ(States(), "p1=firing");
  EXPECT_EQ(Due(), "p1:firing:+4m");  // resends resume; same instance
  EXPECT_EQ(lifecycle_.Instances()[0].fired_at, kStart);
}

TEST_F(ParkingTest, parked_instances_are_forgotten_after_retention) {
  At(absl::ZeroDuration());
  EvalOwning({Input("p1", absl::ZeroDuration())}, true);
  Due();
  At(absl::Minutes(1));
  EvalOwning({}, false);
  At(absl::Minutes(15) + absl::Seconds(59));
  EvalOwning({}, false);
  EXPECT_EQ(States(), "p1=firing");
  At(absl::Minutes(16));
  EvalOwning({}, false);
  EXPECT_EQ(States(), "");
  EXPECT_EQ(Due(), "");  // forgotten silently: the new owner judges it
}

}  // namespace
}  // namespace outcomes

namespace outcomes {
namespace {

// AlertScope::kHeld (partition held but not ready, or history incomplete):
// parked like kAway, but never forgotten.
TEST_F(ParkingTest, held_instances_are_kept_past_retention) {
  Eval({Input("p1", absl::ZeroDuration())});
  Due();
  for (int m = 1; m <= 30; ++m) {
    At(absl::Minutes(m));
    lifecycle_.UpdateScoped(
        {}, [](const AlertLabels&) { return AlertScope::kHeld; });
  }
  EXPECT_EQ(States(), "p1=firing");
  EXPECT_EQ(Due(), "");
}

TEST_F(LifecycleTest, updated_at_follows_every_change) {
  Eval({Input("p1", absl::Minutes(1))});
  EXPECT_EQ(lifecycle_.Instances()[0].updated_at, kStart);
  At(absl::Seconds(30));
  Eval({Input("p1", absl::Minutes(1))});  // still pending: no change
  EXPECT_EQ(lifecycle_.Instances()[0].updated_at, kStart);
  At(absl::Minutes(1));
  Eval({Input("p1", absl::Minutes(1))});  // fires
  EXPECT_EQ(lifecycle_.Instances()[0].updated_at, kStart + absl::Minutes(1));
  At(absl::Minutes(2));
  Due();  // sent
  EXPECT_EQ(lifecycle_.Instances()[0].updated_at, kStart + absl::Minutes(2));
  At(absl::Minutes(3));
  Eval({});  // resolves
  EXPECT_EQ(lifecycle_.Instances()[0].updated_at, kStart + absl::Minutes(3));
  // Round trip through the persisted form; without updated_at (older
  // snapshots) it is the latest of the other times.
  v1::AlertInstanceState s = InstanceToProto(lifecycle_.Instances()[0]);
  EXPECT_EQ(InstanceFromProto(s)->updated_at, kStart + absl::Minutes(3));
  s.set_updated_at_ms(0);
  EXPECT_EQ(InstanceFromProto(s)->updated_at, kStart + absl::Minutes(3));
}

TEST_F(LifecycleTest, merge_installs_only_newer_states) {
  Eval({Input("p1", absl::Minutes(10)), Input("p2", absl::Minutes(10)),
        Input("p3", absl::Minutes(10))});
  std::vector<AlertInstance> local = lifecycle_.Instances();
  // Shared states: p1 older than local, p2 newer (pending since -5m), p3
  // tombstoned after it was last changed here, p4 unknown here.
  std::vector<SharedAlertState> shared(4);
  shared[0].key = LabelKey(local[0].labels);
  shared[0].instance = local[0];
  shared[0].instance->active_at = kStart - absl::Minutes(9);
  shared[0].instance->updated_at = kStart - absl::Minutes(9);
  shared[1].key = LabelKey(local[1].labels);
  shared[1].instance = local[1];
  shared[1].instance->active_at = kStart - absl::Minutes(5);
  shared[1].instance->updated_at = kStart + absl::Seconds(1);
  shared[2].key = LabelKey(local[2].labels);
  shared[2].tombstone_at = kStart + absl::Seconds(1);
  AlertInput p4 = Input("p4", absl::Minutes(10));
  shared[3].key = LabelKey(p4.labels);
  shared[3].instance = local[0];
  shared[3].instance->labels = p4.labels;
  At(absl::Seconds(2));
  EXPECT_EQ(lifecycle_.Merge(shared, [](const AlertLabels&) { return false; }),
            3);
  EXPECT_EQ(States(), "p1=pending p2=pending p4=pending");
  const auto merged = lifecycle_.Instances();
  EXPECT_EQ(merged[0].active_at, kStart);
  EXPECT_EQ(merged[1].active_at, kStart - absl::Minutes(5));
  EXPECT_EQ(merged[2].parked_since, kStart + absl::Seconds(2));
  // keep_local: instances judged here right now are not touched.
  shared[1].instance->updated_at = kStart + absl::Minutes(1);
  shared[1].instance->active_at = kStart - absl::Minutes(8);
  EXPECT_EQ(lifecycle_.Merge(shared, [](const AlertLabels&) { return true; }),
            0);
  EXPECT_EQ(lifecycle_.Instances()[1].active_at, kStart - absl::Minutes(5));
}

}  // namespace
}  // namespace outcomes

namespace outcomes {
namespace {

// Issue 7: a single flipped bit in the alert state file was restored
// silently; the file now carries a checksum.
TEST_F(LifecycleTest, snapshot_file_is_checksummed) {
  Eval({Input("p1", absl::Minutes(10))});
  const std::string file = EncodeAlertSnapshotFile(lifecycle_.Snapshot());
  ASSERT_EQ(file.substr(0, 4), "OALS");
  auto decoded = DecodeAlertSnapshotFile(file);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->instances_size(), 1);
  for (size_t byte : {size_t{5}, size_t{9}, size_t{13}, file.size() - 1}) {
    std::string flipped = file;
    flipped[byte] ^= 0x04;
    EXPECT_EQ(DecodeAlertSnapshotFile(flipped).status().code(),
              absl::StatusCode::kDataLoss)
        << "byte " << byte;
  }
  EXPECT_EQ(DecodeAlertSnapshotFile(file.substr(0, 10)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(
      DecodeAlertSnapshotFile("\xff\xfe random bytes \x01").status().code(),
      absl::StatusCode::kDataLoss);
  // Files of earlier releases (a bare serialized snapshot) still load.
  auto legacy =
      DecodeAlertSnapshotFile(lifecycle_.Snapshot().SerializeAsString());
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(legacy->instances_size(), 1);
}

// Instances and notifications come sorted as the label maps compare
// (std::map order), also for values that are prefixes of one another,
// hold bytes below '"' or NUL, and label sets of different names.
TEST(LifecycleOrderTest, sorted_by_label_maps) {
  FakeClock clock(kStart);
  AlertLifecycle lifecycle(AlertLifecycle::Options{}, clock);
  const std::vector<std::string> providers = {"p",
                                              "p a",
                                              "p!",
                                              std::string("p\0", 2),
                                              std::string("p\x01x", 3),
                                              "pa",
                                              "P",
                                              "",
                                              "p\"",
                                              "\xff"};
  std::vector<AlertInput> inputs;
  for (const std::string& p : providers) {
    inputs.push_back(Input(p, absl::ZeroDuration()));
  }
  AlertInput other = Input("p", absl::ZeroDuration());
  other.labels = {{"alertname", "A"}, {"program", "x"}};
  inputs.push_back(other);
  lifecycle.Update(inputs);
  std::vector<AlertLabels> expected;
  for (const AlertInput& in : inputs) expected.push_back(in.labels);
  std::sort(expected.begin(), expected.end());
  std::vector<AlertLabels> instances, notified;
  for (const AlertInstance& a : lifecycle.Instances()) {
    instances.push_back(a.labels);
  }
  for (const AlertNotification& n : lifecycle.TakeDueNotifications()) {
    notified.push_back(n.labels);
  }
  EXPECT_EQ(instances, expected);
  EXPECT_EQ(notified, expected);
}

}  // namespace
}  // namespace outcomes
