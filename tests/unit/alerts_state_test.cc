// Alerting across partition moves and not-ready/incomplete figures, with an
// in-memory state topic and a FakeClock (docs/design.md, "State through
// restarts, rebalances and faults"): `for` timers and startsAt move with the
// partition, not-ready partitions and goals with incomplete history are parked,
// records of unknown versions are skipped.
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "daemon/alerting.h"
#include "daemon/alerts/alert_state_replica.h"
#include "daemon/alerts/alert_state_store.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace outcomes {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1767571200);  // 2026-01-05
const PartitionId kP0{"outcomes.events", 0};

// The compacted topic as a map: the latest record per key, delivered at once.
class FakeStateStore : public AlertStateStore {
 public:
  explicit FakeStateStore(const Clock& clock) : clock_(clock) {}
  void Put(std::string_view key, std::string_view value) override {
    records[std::string(key)] = {std::string(key), std::string(value),
                                 clock_.Now()};
    ++puts;
  }
  void Delete(std::string_view key) override {
    records[std::string(key)] = {std::string(key), std::nullopt, clock_.Now()};
    ++deletes;
  }
  absl::Status Flush(absl::Duration) override {
    ++flushes;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<StateTopicRecord>> ReadAll(
      absl::Duration) override {
    ++reads;
    if (block_reads) released.WaitForNotification();
    absl::Cleanup done = [this] { ++reads_done; };
    if (fail_reads) return absl::UnavailableError("broker down");
    std::vector<StateTopicRecord> out;
    for (const auto& [key, r] : records) out.push_back(r);
    return out;
  }
  uint64_t write_failures() override { return failures; }

  const Clock& clock_;
  std::map<std::string, StateTopicRecord> records;
  int puts = 0, deletes = 0, flushes = 0;
  std::atomic<int> reads{0};
  std::atomic<int> reads_done{0};
  bool fail_reads = false;
  std::atomic<bool> block_reads{false};
  absl::Notification released;  // unblocks reads when block_reads
  uint64_t failures = 0;
};

class CapturingSink : public AlertSink {
 public:
  void Publish(const std::vector<AlertNotification>& alerts) override {
    for (const AlertNotification& n : alerts) {
      sent.push_back(absl::StrCat(n.labels.at("provider"), ":",
                                  n.resolved ? "resolved" : "firing", "@",
                                  absl::FormatDuration(n.starts_at - kT0)));
    }
  }
  absl::Status Flush(absl::Duration) override { return absl::OkStatus(); }
  // Takes what was sent: "prov-01:firing@1m ..." in order.
  std::string Take() {
    std::string out = absl::StrJoin(sent, " ");
    sent.clear();
    return out;
  }
  std::vector<std::string> sent;
};

std::string Provider(int i) {
  return absl::StrCat(i < 10 ? "prov-0" : "prov-", i);
}

// A partition holding `n` providers whose enrollment rate is `enrolled`/10
// (goal: min 0.6, so enrolled < 6 is a shortfall).
PartitionFigures Partition(int n, int enrolled, bool ready = true,
                           bool complete = true) {
  PartitionFigures p;
  p.id = kP0;
  p.ready = ready;
  for (int i = 1; i <= n; ++i) {
    ProgramFigures f;
    f.provider = Provider(i);
    f.program = "workforce";
    WindowFigures w;
    w.days = 30;
    w.enrollment_rate = {enrolled, 10};
    w.complete = complete;
    f.windows.push_back(w);
    p.programs.push_back(f);
  }
  return p;
}

StoreSnapshot Snap(std::vector<PartitionFigures> partitions) {
  StoreSnapshot s;
  s.partitions = std::move(partitions);
  return s;
}

class AlertStateTest : public ::testing::Test {
 protected:
  AlertStateTest() {
    dir_ = ::testing::TempDir() + "/alerts_state_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::remove((dir_ + ".yaml").c_str());
  }
  ~AlertStateTest() override { std::remove((dir_ + ".yaml").c_str()); }

  // A replica with goal `for_duration`: an Alerting on the shared store.
  struct Replica {
    prometheus::Registry registry;
    CapturingSink sink;
    std::unique_ptr<Alerting> alerting;
  };
  std::unique_ptr<Replica> NewReplica(const std::string& for_duration,
                                      const std::string& state_dir = "") {
    const std::string rules = dir_ + ".yaml";
    std::ofstream(rules) << "contracts:\n"
                            "  - id: wd\n"
                            "    program: workforce\n"
                            "    goals:\n"
                            "      - name: enrollment-rate\n"
                            "        alert: EnrollmentRateShortfall\n"
                            "        metric: enrollment_rate\n"
                            "        window: 30d\n"
                            "        min: 0.6\n"
                            "        min_sample: 1\n"
                            "        for: "
                         << for_duration
                         << "\n"
                            "        severity: warning\n";
    auto r = std::make_unique<Replica>();
    AlertingSettings settings;
    settings.rule_paths = {rules};
    settings.state_dir = state_dir;
    settings.state_read_wait = absl::Milliseconds(50);
    r->alerting = std::make_unique<Alerting>(
        settings, clock_, r->registry, nullptr, &r->sink, [] { return true; },
        &store_);
    EXPECT_TRUE(r->alerting->Start().ok());
    return r;
  }
  void At(absl::Duration d) { clock_.Set(kT0 + d); }
  // "pending@0 x16" style summary: phase@activeAt, counted.
  static std::string States(const Alerting& a) {
    std::map<std::string, int> counts;
    for (const AlertInstance& i : a.Instances()) {
      ++counts[absl::StrCat(AlertPhaseName(i.phase), "@",
                            absl::FormatDuration(i.active_at - kT0))];
    }
    std::vector<std::string> parts;
    for (const auto& [k, n] : counts) parts.push_back(absl::StrCat(k, " x", n));
    return absl::StrJoin(parts, ", ");
  }
  static std::string Metric(prometheus::Registry& registry,
                            const std::string& series) {
    const std::string text =
        prometheus::TextSerializer().Serialize(registry.Collect());
    const size_t at = text.find("\n" + series + " ");
    if (at == std::string::npos) return "absent";
    const size_t from = at + series.size() + 2;
    return text.substr(from, text.find('\n', from) - from);
  }

  std::string dir_;
  FakeClock clock_{kT0};
  FakeStateStore store_{clock_};
};

// Issue 7 regression: 16 alerts pending on replica A (`for: 60s`); replica B
// takes the partition at +20 s (A wrote its state on revocation). B's
// activeAt is A's pending-since, and every alert fires at +60 s, not +80 s.
TEST_F(AlertStateTest, for_timers_continue_on_the_new_owner) {
  auto a = NewReplica("60s");
  auto b = NewReplica("60s");
  a->alerting->OnSnapshot(Snap({Partition(16, 3)}));
  EXPECT_EQ(States(*a->alerting), "pending@0 x16");
  EXPECT_EQ(store_.records.size(), 16u);
  At(absl::Seconds(20));
  a->alerting->OnPartitionsRevoked({kP0});
  EXPECT_EQ(store_.flushes, 1);
  b->alerting->OnSnapshot(Snap({Partition(16, 3)}));
  EXPECT_EQ(store_.reads, 2);  // A at its start, B on taking the partition
  EXPECT_EQ(States(*b->alerting), "pending@0 x16");
  At(absl::Seconds(59));
  b->alerting->OnSnapshot(Snap({Partition(16, 3)}));
  EXPECT_EQ(States(*b->alerting), "pending@0 x16");
  EXPECT_EQ(b->sink.Take(), "");
  At(absl::Seconds(60));
  b->alerting->OnSnapshot(Snap({Partition(16, 3)}));
  EXPECT_EQ(States(*b->alerting), "firing@0 x16");
  std::vector<std::string> expected;
  for (int i = 1; i <= 16; ++i) expected.push_back(Provider(i) + ":firing@1m");
  EXPECT_EQ(b->sink.Take(), absl::StrJoin(expected, " "));
  EXPECT_EQ(store_.reads, 2);  // read once per assignment
}

// A firing alert moved to B keeps its startsAt and is not sent again as new:
// B re-sends it only when the resend interval since A's last send is over.
TEST_F(AlertStateTest, firing_alert_moved_is_not_notified_again_as_new) {
  auto a = NewReplica("0s");
  auto b = NewReplica("0s");
  a->alerting->OnSnapshot(Snap({Partition(1, 3)}));
  EXPECT_EQ(a->sink.Take(), "prov-01:firing@0");
  At(absl::Seconds(20));
  a->alerting->OnPartitionsRevoked({kP0});
  a->alerting->OnSnapshot(Snap({}));  // A no longer holds it: parked
  EXPECT_EQ(a->sink.Take(), "");
  b->alerting->OnSnapshot(Snap({Partition(1, 3)}));
  EXPECT_EQ(States(*b->alerting), "firing@0 x1");
  EXPECT_EQ(b->sink.Take(), "");  // A sent it 20 s ago
  At(absl::Seconds(60));
  b->alerting->OnSnapshot(Snap({Partition(1, 3)}));
  EXPECT_EQ(b->sink.Take(), "prov-01:firing@0");  // resend, same startsAt
  // A forgets its parked copy after 15 minutes without a tombstone: B owns it.
  At(absl::Minutes(16));
  a->alerting->OnSnapshot(Snap({}));
  EXPECT_EQ(States(*a->alerting), "");
  EXPECT_EQ(store_.deletes, 0);
  ASSERT_TRUE(store_.records.begin()->second.value.has_value());
}

// Between its revocation and the store dropping the partition, an
// evaluation of the old owner may still see the partition in a snapshot: it
// must not judge, send or write anything about it any more.
TEST_F(AlertStateTest, revoked_partition_is_not_judged_by_the_old_owner) {
  auto a = NewReplica("0s");
  a->alerting->OnSnapshot(Snap({Partition(1, 3)}));
  EXPECT_EQ(a->sink.Take(), "prov-01:firing@0");
  a->alerting->OnPartitionsRevoked({kP0});
  const int puts = store_.puts;
  At(absl::Minutes(2));
  a->alerting->OnSnapshot(Snap({Partition(1, 9)}));  // stale snapshot
  EXPECT_EQ(States(*a->alerting), "firing@0 x1");
  EXPECT_EQ(a->sink.Take(), "");
  EXPECT_EQ(store_.puts, puts);
  EXPECT_EQ(store_.reads, 1);
  // Assigned again: read, then judged.
  a->alerting->OnPartitionsAssigned({kP0});
  a->alerting->OnSnapshot(Snap({Partition(1, 9)}));
  EXPECT_EQ(store_.reads, 2);
  EXPECT_EQ(a->sink.Take(), "prov-01:resolved@0");
}

// Replicas' /api/v1/alerts add up to one replica's: an alert parked away
// (its provider is held elsewhere), or read from the topic for a provider
// this process does not hold, is kept but not listed as this process's.
TEST_F(AlertStateTest, alerts_parked_away_are_not_listed) {
  auto a = NewReplica("0s");
  auto b = NewReplica("0s");
  a->alerting->OnSnapshot(Snap({Partition(1, 3)}));
  EXPECT_EQ(a->alerting->OwnInstances().size(), 1u);
  a->alerting->OnPartitionsRevoked({kP0});
  a->alerting->OnSnapshot(Snap({}));
  EXPECT_EQ(a->alerting->Instances().size(), 1u);  // kept, parked
  EXPECT_EQ(a->alerting->OwnInstances().size(), 0u);
  EXPECT_EQ(a->alerting->AlertsJson(), "{\"alerts\":[]}");
  PartitionFigures other = Partition(1, 9);  // b holds only another provider
  other.id = {"outcomes.events", 1};
  other.programs[0].provider = "prov-77";
  b->alerting->OnSnapshot(Snap({other}));
  EXPECT_EQ(b->alerting->Instances().size(), 1u);  // prov-01, from the topic
  EXPECT_EQ(b->alerting->AlertsJson(), "{\"alerts\":[]}");
  EXPECT_EQ(Metric(b->registry,
                   "outcomes_alerts{alertname=\"EnrollmentRateShortfall\","
                   "alertstate=\"firing\",contract=\"wd\","
                   "goal=\"enrollment-rate\",program=\"workforce\","
                   "provider=\"prov-01\",severity=\"warning\"}"),
            "absent");
  b->alerting->OnSnapshot(Snap({other, Partition(1, 3)}));  // b gets prov-01
  EXPECT_EQ(b->alerting->OwnInstances().size(), 1u);
  EXPECT_EQ(b->sink.Take(), "");  // same alert, sent by A just now
}

TEST_F(AlertStateTest, inactive_instance_is_a_tombstone) {
  auto a = NewReplica("60s");
  a->alerting->OnSnapshot(Snap({Partition(1, 3)}));
  ASSERT_EQ(store_.records.size(), 1u);
  EXPECT_EQ(store_.records.begin()->first,
            "alertname=\"EnrollmentRateShortfall\",contract=\"wd\","
            "goal=\"enrollment-rate\",program=\"workforce\","
            "provider=\"prov-01\",severity=\"warning\"");
  At(absl::Seconds(15));
  a->alerting->OnSnapshot(Snap({Partition(1, 9)}));  // holds no more
  EXPECT_EQ(States(*a->alerting), "");
  EXPECT_EQ(store_.deletes, 1);
  EXPECT_FALSE(store_.records.begin()->second.value.has_value());
  EXPECT_EQ(Metric(a->registry, "outcomes_alert_state_writes_total"), "2");
}

TEST_F(AlertStateTest, newer_local_state_is_kept_and_tombstone_erases_older) {
  auto a = NewReplica("60s");
  a->alerting->OnSnapshot(Snap({Partition(2, 3)}));  // pending since 0s
  a->alerting->OnPartitionsRevoked({kP0});
  a->alerting->OnSnapshot(Snap({}));
  // Meanwhile at another owner: prov-01's alert went inactive at +30 s, and
  // prov-02's record is older than A's copy (pending since -100 s).
  ASSERT_EQ(store_.records.size(), 2u);
  auto it = store_.records.begin();
  it->second = {it->first, std::nullopt, kT0 + absl::Seconds(30)};
  ++it;
  v1::AlertStateRecord stale;
  ASSERT_TRUE(stale.ParseFromString(*it->second.value));
  stale.mutable_instance()->set_active_at_ms(absl::ToUnixMillis(kT0) - 100000);
  stale.mutable_instance()->set_updated_at_ms(absl::ToUnixMillis(kT0) - 100000);
  it->second.value = stale.SerializeAsString();
  At(absl::Seconds(40));
  a->alerting->OnSnapshot(Snap({Partition(2, 3)}));
  // prov-01: erased by the tombstone, then pending again as new; prov-02:
  // A's own newer copy is kept.
  EXPECT_EQ(States(*a->alerting), "pending@0 x1, pending@40s x1");
}

TEST_F(AlertStateTest, unknown_record_version_is_counted_and_ignored) {
  store_.records["x"] = {"x", "garbage\xff", kT0};
  v1::AlertStateRecord future;
  future.set_version(2);
  store_.records["y"] = {"y", future.SerializeAsString(), kT0};
  auto a = NewReplica("60s");
  a->alerting->OnSnapshot(Snap({Partition(1, 3)}));
  EXPECT_EQ(States(*a->alerting), "pending@0 x1");
  EXPECT_EQ(Metric(a->registry,
                   "outcomes_alert_state_records_ignored_total{reason="
                   "\"unknown_version\"}"),
            "1");
  EXPECT_EQ(Metric(a->registry,
                   "outcomes_alert_state_records_ignored_total{reason="
                   "\"corrupt\"}"),
            "1");
}

TEST_F(AlertStateTest, partition_stays_parked_until_the_state_topic_is_read) {
  auto a = NewReplica("0s");
  store_.fail_reads = true;
  a->alerting->OnSnapshot(Snap({Partition(1, 3)}));
  EXPECT_EQ(States(*a->alerting), "");
  EXPECT_EQ(a->sink.Take(), "");
  EXPECT_EQ(Metric(a->registry,
                   "outcomes_alert_state_reads_total{result=\"failure\"}"),
            "1");
  store_.fail_reads = false;
  At(absl::Seconds(15));
  a->alerting->OnSnapshot(Snap({Partition(1, 3)}));
  EXPECT_EQ(a->sink.Take(), "prov-01:firing@15s");
  EXPECT_EQ(store_.reads, 2);
}

// The read runs beside the evaluations: while it is in progress the new
// partition is parked and the partitions already read are still judged.
TEST_F(AlertStateTest, slow_read_parks_only_the_new_partition) {
  auto a = NewReplica("0s");
  PartitionFigures p1 = Partition(1, 3);
  p1.id = {"outcomes.events", 1};
  p1.programs[0].provider = "prov-77";
  a->alerting->OnSnapshot(Snap({p1}));
  EXPECT_EQ(a->sink.Take(), "prov-77:firing@0");
  store_.block_reads = true;
  At(absl::Seconds(15));
  p1.programs[0].windows[0].enrollment_rate = {9, 10};   // prov-77 recovers
  a->alerting->OnSnapshot(Snap({Partition(1, 3), p1}));  // P0 is new
  EXPECT_EQ(a->sink.Take(), "prov-77:resolved@0");       // P1 still judged
  EXPECT_EQ(States(*a->alerting), "resolved@0 x1");      // prov-01 not judged
  store_.released.Notify();
  while (store_.reads_done < 2) absl::SleepFor(absl::Milliseconds(1));
  At(absl::Seconds(30));
  a->alerting->OnSnapshot(Snap({Partition(1, 3), p1}));
  EXPECT_EQ(a->sink.Take(), "prov-01:firing@30s");
  EXPECT_EQ(store_.reads, 2);
}

TEST_F(AlertStateTest, write_failures_are_counted) {
  auto a = NewReplica("60s");
  store_.failures = 3;
  a->alerting->OnSnapshot(Snap({Partition(1, 3)}));
  EXPECT_EQ(Metric(a->registry, "outcomes_alert_state_write_failures_total"),
            "3");
}

// docs/design.md, "State through restarts, rebalances and faults": a partition
// that is not ready has its goals neither judged nor resolved, and nothing
// about it is sent.
TEST_F(AlertStateTest, not_ready_partition_is_parked) {
  auto a = NewReplica("0s");
  a->alerting->OnSnapshot(Snap({Partition(1, 3)}));
  EXPECT_EQ(a->sink.Take(), "prov-01:firing@0");
  // Rebuilding: partial figures that would resolve the alert.
  for (int i = 1; i <= 20; ++i) {
    At(absl::Minutes(i));
    a->alerting->OnSnapshot(Snap({Partition(1, 9, /*ready=*/false)}));
  }
  EXPECT_EQ(States(*a->alerting), "firing@0 x1");  // kept past 15 minutes
  EXPECT_EQ(a->sink.Take(), "");
  At(absl::Minutes(21));
  a->alerting->OnSnapshot(Snap({Partition(1, 3)}));
  EXPECT_EQ(States(*a->alerting), "firing@0 x1");
  EXPECT_EQ(a->sink.Take(), "prov-01:firing@0");
  // A new shortfall in a not-ready partition does not start pending.
  auto b = NewReplica("0s");
  b->alerting->OnSnapshot(Snap({Partition(1, 3, /*ready=*/false)}));
  EXPECT_EQ(States(*b->alerting), "firing@0 x1");  // A's state, not judged
  EXPECT_EQ(b->sink.Take(), "");
}

// A goal whose window lacks history is not judged: no new shortfall, and a
// firing alert is parked (neither resolved nor re-sent) until it is whole.
TEST_F(AlertStateTest, goal_with_incomplete_history_is_parked) {
  auto a = NewReplica("0s");
  a->alerting->OnSnapshot(Snap({Partition(1, 3)}));
  EXPECT_EQ(a->sink.Take(), "prov-01:firing@0");
  for (int i = 1; i <= 20; ++i) {
    At(absl::Minutes(i));
    a->alerting->OnSnapshot(
        Snap({Partition(1, 9, /*ready=*/true, /*complete=*/false)}));
  }
  EXPECT_EQ(States(*a->alerting), "firing@0 x1");
  EXPECT_EQ(a->sink.Take(), "");
  At(absl::Minutes(21));
  a->alerting->OnSnapshot(Snap({Partition(1, 9)}));
  EXPECT_EQ(a->sink.Take(), "prov-01:resolved@0");
  // Missing history never raises a shortfall.
  auto b = NewReplica("0s");
  store_.records.clear();
  PartitionFigures p = Partition(2, 3, true, false);
  p.id = {"outcomes.events", 1};
  b->alerting->OnSnapshot(Snap({p}));
  EXPECT_EQ(States(*b->alerting), "");
  EXPECT_EQ(b->sink.Take(), "");
}

// Issue 7: a corrupt alert state file made every start exit 1. Now it is
// counted and the alerts come from the state topic.
TEST_F(AlertStateTest, corrupt_state_file_is_counted_and_state_topic_used) {
  const std::string dir = dir_ + "_dir";
  std::filesystem::create_directories(dir);
  {
    auto a = NewReplica("60s", dir);
    a->alerting->OnSnapshot(Snap({Partition(1, 3)}));  // pending since 0
  }
  std::ofstream(dir + "/alerts.snapshot", std::ios::trunc) << "\x13random";
  At(absl::Seconds(30));
  auto b = NewReplica("60s", dir);  // Start() succeeds
  EXPECT_EQ(
      Metric(b->registry,
             "outcomes_alert_snapshot_failures_total{reason=\"corrupt\"}"),
      "1");
  b->alerting->OnSnapshot(Snap({Partition(1, 3)}));
  EXPECT_EQ(States(*b->alerting), "pending@0 x1");
  std::filesystem::remove_all(dir);
}

// Issue 7: a state dir that cannot be written was logged at every
// evaluation; now a metric, and logged when it starts.
TEST_F(AlertStateTest, unwritable_state_dir_is_a_metric) {
  auto a = NewReplica("60s", "/nonexistent/outcomes-state");
  a->alerting->OnSnapshot(Snap({Partition(1, 3)}));
  a->alerting->OnSnapshot(Snap({Partition(1, 3)}));
  EXPECT_EQ(Metric(a->registry,
                   "outcomes_alert_snapshot_failures_total{reason=\"write\"}"),
            "2");
  EXPECT_EQ(Metric(a->registry, "outcomes_alert_snapshot_writable"), "0");
}

}  // namespace
}  // namespace outcomes
