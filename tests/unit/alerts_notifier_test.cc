// AlertmanagerNotifier with a fake HTTP client and a FakeClock: payload,
// endsAt, retry with exponential backoff, bounded queue, metrics.
#include <atomic>
#include <deque>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "daemon/alerts/alert_sink.h"
#include "daemon/alerts/alertmanager_notifier.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace outcomes {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1767571200);  // 2026-01-05

// Records posts; fails while `failures` > 0.
class FakePoster : public HttpPoster {
 public:
  absl::Status Post(const std::string& base_url, const std::string& path,
                    const std::string& body) override {
    posts.push_back(absl::StrCat(base_url, path, " @",
                                 absl::FormatDuration(clock->Now() - kStart)));
    bodies.push_back(body);
    if (down.contains(base_url)) {
      return absl::UnavailableError("connection refused");
    }
    if (failures > 0) {
      --failures;
      return absl::UnavailableError("connection refused");
    }
    return absl::OkStatus();
  }
  void Cancel() override { ++cancels; }
  const Clock* clock = nullptr;
  int cancels = 0;
  int failures = 0;
  std::set<std::string> down;  // base URLs that always fail
  std::vector<std::string> posts;
  std::vector<std::string> bodies;
};

// A POST to an Alertmanager that answers after `answer_after` (OK), or
// never: then it returns Cancelled once Cancel is called (or after 30 s).
class SlowPoster : public HttpPoster {
 public:
  explicit SlowPoster(absl::Duration answer_after)
      : answer_after_(answer_after) {}
  absl::Status Post(const std::string&, const std::string&,
                    const std::string&) override {
    if (!entered.HasBeenNotified()) entered.Notify();
    if (cancelled_.WaitForNotificationWithTimeout(answer_after_)) {
      return absl::CancelledError("cancelled");
    }
    return absl::OkStatus();
  }
  void Cancel() override {
    if (cancels.fetch_add(1) == 0) cancelled_.Notify();
  }
  absl::Notification entered;
  std::atomic<int> cancels{0};

 private:
  const absl::Duration answer_after_;
  absl::Notification cancelled_;
};

AlertmanagerNotifier::Options Opts(std::vector<std::string> urls) {
  AlertmanagerNotifier::Options o;
  o.urls = std::move(urls);
  return o;
}

AlertNotification Firing(const std::string& provider) {
  AlertNotification n;
  n.labels = {{"alertname", "A"}, {"provider", provider}};
  n.annotations = {{"summary", "short \"quoted\""}};
  n.starts_at = kStart;
  n.ends_at = kStart + absl::Minutes(4);
  return n;
}

class NotifierTest : public ::testing::Test {
 protected:
  NotifierTest() { poster_.clock = &clock_; }
  AlertmanagerNotifier& Make(AlertmanagerNotifier::Options options) {
    notifier_ = std::make_unique<AlertmanagerNotifier>(options, poster_, clock_,
                                                       registry_);
    return *notifier_;
  }
  // The sum of `name` over every Alertmanager, or (`alertmanager` given)
  // the value of that Alertmanager's series; "absent" when none matches.
  std::string Metric(const std::string& name,
                     const std::string& alertmanager = "") {
    const std::string text =
        prometheus::TextSerializer().Serialize(registry_.Collect());
    const std::regex series(
        name +
        R"re(\{alertmanager="([^"]*)",notifier="alertmanager"\} (\S+))re");
    double sum = 0;
    bool found = false;
    for (std::sregex_iterator it(text.begin(), text.end(), series), end;
         it != end; ++it) {
      if (!alertmanager.empty() && (*it)[1] != alertmanager) continue;
      sum += std::stod((*it)[2]);
      found = true;
    }
    return found ? absl::StrCat(sum) : "absent";
  }

  FakeClock clock_{kStart};
  FakePoster poster_;
  prometheus::Registry registry_;
  std::unique_ptr<AlertmanagerNotifier> notifier_;
};

TEST(AlertmanagerPayloadTest, firing_and_resolved) {
  AlertNotification resolved = Firing("p2");
  resolved.resolved = true;
  resolved.ends_at = kStart + absl::Minutes(7);
  const AlertDecoration decoration{"https://outcomes.example/", {}};
  EXPECT_EQ(
      AlertmanagerPayload({Firing("p1"), resolved}, kStart + absl::Minutes(5),
                          absl::Minutes(1), decoration),
      "[{\"labels\":{\"alertname\":\"A\",\"provider\":\"p1\"},"
      "\"annotations\":{\"summary\":\"short \\\"quoted\\\"\"},"
      "\"startsAt\":\"2026-01-05T00:00:00.000Z\","
      "\"endsAt\":\"2026-01-05T00:09:00.000Z\","
      "\"generatorURL\":\"https://outcomes.example/api/v1/providers/p1\"},"
      "{\"labels\":{\"alertname\":\"A\",\"provider\":\"p2\"},"
      "\"annotations\":{\"summary\":\"short \\\"quoted\\\"\"},"
      "\"startsAt\":\"2026-01-05T00:00:00.000Z\","
      "\"endsAt\":\"2026-01-05T00:07:00.000Z\","
      "\"generatorURL\":\"https://outcomes.example/api/v1/providers/p2\"}]");
}

TEST(AlertmanagerPayloadTest, external_labels_are_added_and_own_labels_win) {
  AlertNotification a = Firing("p1");
  a.labels = {{"alertname", "A"}};  // no provider
  const AlertDecoration decoration{
      "http://h:9464",
      {{"cluster", "prod"}, {"namespace", "outcomes"}, {"alertname", "X"}}};
  EXPECT_EQ(AlertmanagerPayload({a}, kStart, absl::Minutes(1), decoration),
            "[{\"labels\":{\"alertname\":\"A\",\"cluster\":\"prod\","
            "\"namespace\":\"outcomes\"},"
            "\"annotations\":{\"summary\":\"short \\\"quoted\\\"\"},"
            "\"startsAt\":\"2026-01-05T00:00:00.000Z\","
            "\"endsAt\":\"2026-01-05T00:04:00.000Z\","
            "\"generatorURL\":\"http://h:9464/api/v1/alerts\"}]");
  // No external URL: no generatorURL.
  EXPECT_EQ(AlertmanagerPayload({a}, kStart, absl::Minutes(1), {})
                .find("generatorURL"),
            std::string::npos);
}

TEST(AlertmanagerPayloadTest, invalid_utf8_is_replaced_not_thrown) {
  AlertNotification a = Firing("p1");
  a.annotations = {{"summary", "bad \xff byte"}};
  const std::string body =
      AlertmanagerPayload({a}, kStart, absl::Minutes(1), {});
  EXPECT_NE(
      body.find("\"annotations\":{\"summary\":\"bad \xef\xbf\xbd byte\"}"),
      std::string::npos)
      << body;
}

TEST_F(NotifierTest, sends_to_every_url) {
  auto& n = Make(Opts({"http://am1:9093", "http://am2:9093"}));
  n.Enqueue({Firing("p1")});
  EXPECT_EQ(n.queue_length(), 2u);
  EXPECT_EQ(n.Pump(), absl::InfiniteFuture());
  EXPECT_EQ(poster_.posts,
            (std::vector<std::string>{"http://am1:9093/api/v2/alerts @0",
                                      "http://am2:9093/api/v2/alerts @0"}));
  EXPECT_EQ(Metric("outcomes_notifier_sends_total"), "2");
  EXPECT_EQ(Metric("outcomes_notifier_queue_length"), "0");
}

TEST_F(NotifierTest, metrics_per_alertmanager_show_the_one_that_fails) {
  AlertmanagerNotifier& n =
      Make(Opts({"http://am-0:9093", "http://am-1:9093"}));
  poster_.down.insert("http://am-1:9093");
  n.Enqueue({Firing("p1")});
  n.Pump();
  EXPECT_EQ(Metric("outcomes_notifier_sends_total", "http://am-0:9093"), "1");
  EXPECT_EQ(Metric("outcomes_notifier_failures_total", "http://am-0:9093"),
            "0");
  EXPECT_EQ(Metric("outcomes_notifier_queue_length", "http://am-0:9093"), "0");
  EXPECT_EQ(Metric("outcomes_notifier_sends_total", "http://am-1:9093"), "0");
  EXPECT_EQ(Metric("outcomes_notifier_failures_total", "http://am-1:9093"),
            "1");
  EXPECT_EQ(Metric("outcomes_notifier_queue_length", "http://am-1:9093"), "1");
  EXPECT_EQ(Metric("outcomes_notifier_dropped_total", "http://am-1:9093"), "0");
  EXPECT_EQ(Metric("outcomes_notifier_superseded_total", "http://am-1:9093"),
            "0");
}

TEST_F(NotifierTest, alertmanager_label_has_no_credentials) {
  Make(Opts({"https://user:p%40ss@am.example:9093/prefix"}));
  const std::string text =
      prometheus::TextSerializer().Serialize(registry_.Collect());
  EXPECT_EQ(text.find("p%40ss"), std::string::npos);
  EXPECT_EQ(text.find("user"), std::string::npos);
  EXPECT_EQ(
      Metric("outcomes_notifier_sends_total", "https://am.example:9093/prefix"),
      "0");
}

TEST(RedactedUrlTest, strips_userinfo_only) {
  EXPECT_EQ(RedactedUrl("http://u:p@am:9093/x"), "http://am:9093/x");
  EXPECT_EQ(RedactedUrl("http://u@am:9093"), "http://am:9093");
  EXPECT_EQ(RedactedUrl("http://am:9093/a@b"), "http://am:9093/a@b");
  EXPECT_EQ(RedactedUrl("http://am:9093?x=a@b"), "http://am:9093?x=a@b");
  EXPECT_EQ(RedactedUrl("http://a:b@c@am:9093"), "http://am:9093");
  EXPECT_EQ(RedactedUrl("am:9093"), "am:9093");
}

TEST_F(NotifierTest, retries_with_exponential_backoff_and_fresh_ends_at) {
  auto options = Opts({"http://am:9093"});
  options.max_backoff = absl::Seconds(5);
  auto& n = Make(options);
  poster_.failures = 4;
  n.Enqueue({Firing("p1")});
  EXPECT_EQ(n.Pump(), kStart + absl::Seconds(1));
  EXPECT_EQ(Metric("outcomes_notifier_queue_length"), "1");
  clock_.Set(kStart + absl::Milliseconds(999));
  EXPECT_EQ(n.Pump(), kStart + absl::Seconds(1));  // not due yet
  clock_.Set(kStart + absl::Seconds(1));
  EXPECT_EQ(n.Pump(), kStart + absl::Seconds(3));
  clock_.Set(kStart + absl::Seconds(3));
  EXPECT_EQ(n.Pump(), kStart + absl::Seconds(7));
  clock_.Set(kStart + absl::Seconds(7));
  EXPECT_EQ(n.Pump(), kStart + absl::Seconds(12));  // capped at 5s
  clock_.Set(kStart + absl::Seconds(12));
  EXPECT_EQ(n.Pump(), absl::InfiniteFuture());
  EXPECT_EQ(poster_.posts.size(), 5u);
  EXPECT_EQ(poster_.posts.back(), "http://am:9093/api/v2/alerts @12s");
  // endsAt computed at sending time: 00:00:12 + 4m.
  EXPECT_NE(
      poster_.bodies.back().find("\"endsAt\":\"2026-01-05T00:04:12.000Z\""),
      std::string::npos);
  EXPECT_EQ(Metric("outcomes_notifier_failures_total"), "4");
  EXPECT_EQ(Metric("outcomes_notifier_sends_total"), "1");
}

TEST_F(NotifierTest, gives_up_after_max_attempts) {
  auto options = Opts({"http://am:9093"});
  options.max_attempts = 2;
  auto& n = Make(options);
  poster_.failures = 100;
  n.Enqueue({Firing("p1")});
  n.Pump();
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(n.Pump(), absl::InfiniteFuture());
  EXPECT_EQ(Metric("outcomes_notifier_dropped_total"), "1");
  EXPECT_EQ(n.queue_length(), 0u);
}

TEST_F(NotifierTest, bounded_queue_drops_oldest_and_keeps_order) {
  auto options = Opts({"http://am:9093"});
  options.max_queue = 2;
  auto& n = Make(options);
  n.Enqueue({Firing("p1")});
  n.Enqueue({Firing("p2")});
  n.Enqueue({Firing("p3")});
  EXPECT_EQ(n.queue_length(), 2u);
  EXPECT_EQ(Metric("outcomes_notifier_dropped_total"), "1");
  n.Pump();
  ASSERT_EQ(poster_.bodies.size(), 2u);
  EXPECT_NE(poster_.bodies[0].find("\"p2\""), std::string::npos);
  EXPECT_NE(poster_.bodies[1].find("\"p3\""), std::string::npos);
}

TEST_F(NotifierTest, head_of_line_waits_so_order_is_kept) {
  auto& n = Make(Opts({"http://am:9093"}));
  poster_.failures = 1;
  n.Enqueue({Firing("p1")});
  n.Enqueue({Firing("p2")});
  n.Pump();
  EXPECT_EQ(poster_.posts.size(), 1u);  // p2 waits behind p1's retry
  clock_.Advance(absl::Seconds(1));
  n.Pump();
  ASSERT_EQ(poster_.bodies.size(), 3u);
  EXPECT_NE(poster_.bodies[1].find("\"p1\""), std::string::npos);
  EXPECT_NE(poster_.bodies[2].find("\"p2\""), std::string::npos);
}

// Issue 7: after an Alertmanager outage, a queued "firing" of an alert that
// has since resolved was delivered as firing (a false page). Only the
// newest state of each alert is delivered; still-firing alerts are not lost.
TEST_F(NotifierTest, resolved_supersedes_queued_firing_after_outage) {
  auto& n = Make(Opts({"http://am:9093"}));
  poster_.failures = 1000;  // Alertmanager down
  n.Enqueue({Firing("p1"), Firing("p2")});
  n.Pump();
  AlertNotification resolved = Firing("p1");
  resolved.resolved = true;
  resolved.ends_at = kStart + absl::Seconds(30);  // resolve time
  clock_.Set(kStart + absl::Seconds(30));
  n.Enqueue({resolved});
  EXPECT_EQ(n.queue_length(), 2u);
  EXPECT_EQ(Metric("outcomes_notifier_superseded_total"), "1");
  poster_.failures = 0;  // Alertmanager back
  poster_.bodies.clear();
  clock_.Set(kStart + absl::Minutes(2));
  EXPECT_EQ(n.Pump(), absl::InfiniteFuture());
  ASSERT_EQ(poster_.bodies.size(), 2u);
  EXPECT_EQ(poster_.bodies[0],
            "[{\"labels\":{\"alertname\":\"A\",\"provider\":\"p2\"},"
            "\"annotations\":{\"summary\":\"short \\\"quoted\\\"\"},"
            "\"startsAt\":\"2026-01-05T00:00:00.000Z\","
            "\"endsAt\":\"2026-01-05T00:06:00.000Z\"}]");
  EXPECT_EQ(poster_.bodies[1],
            "[{\"labels\":{\"alertname\":\"A\",\"provider\":\"p1\"},"
            "\"annotations\":{\"summary\":\"short \\\"quoted\\\"\"},"
            "\"startsAt\":\"2026-01-05T00:00:00.000Z\","
            "\"endsAt\":\"2026-01-05T00:00:30.000Z\"}]");
  EXPECT_EQ(Metric("outcomes_notifier_sends_total"), "2");
}

TEST_F(NotifierTest, newer_batch_replaces_every_queued_state_of_its_alerts) {
  auto& n = Make(Opts({"http://am:9093"}));
  poster_.failures = 1000;
  n.Enqueue({Firing("p1")});
  n.Enqueue({Firing("p1"), Firing("p2")});  // resend: p1's first is gone
  n.Enqueue({Firing("p2")});
  EXPECT_EQ(n.queue_length(), 2u);
  EXPECT_EQ(Metric("outcomes_notifier_superseded_total"), "2");
  poster_.failures = 0;
  n.Pump();
  ASSERT_EQ(poster_.bodies.size(), 2u);
  EXPECT_NE(poster_.bodies[0].find("\"p1\""), std::string::npos);
  EXPECT_EQ(poster_.bodies[0].find("\"p2\""), std::string::npos);
  EXPECT_NE(poster_.bodies[1].find("\"p2\""), std::string::npos);
}

TEST_F(NotifierTest, thread_delivers_and_stops) {
  FakePoster poster;
  poster.clock = &RealClock();
  prometheus::Registry registry;
  AlertmanagerNotifier n(Opts({"http://am:9093"}), poster, RealClock(),
                         registry);
  n.Start();
  n.Enqueue({Firing("p1")});
  for (int i = 0; i < 500 && n.queue_length() > 0; ++i) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  n.Stop();
  EXPECT_EQ(n.queue_length(), 0u);
}

TEST_F(NotifierTest, stop_cancels_a_post_in_flight_and_keeps_its_batch) {
  SlowPoster silent(absl::Seconds(30));  // accepts, never answers
  AlertmanagerNotifier n(Opts({"http://am:9093"}), silent, RealClock(),
                         registry_);
  n.Start();
  n.Enqueue({Firing("p1")});
  ASSERT_TRUE(silent.entered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  const absl::Time start = absl::Now();
  n.Stop(absl::Milliseconds(50));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_GE(silent.cancels.load(), 1);  // again while Run has not returned
  EXPECT_EQ(n.queue_length(), 1u);      // abandoned, not counted as failed
  EXPECT_EQ(Metric("outcomes_notifier_failures_total"), "0");
  EXPECT_EQ(Metric("outcomes_notifier_sends_total"), "0");
}

TEST_F(NotifierTest, stop_lets_a_post_in_flight_finish_within_grace) {
  SlowPoster slow(absl::Milliseconds(100));
  AlertmanagerNotifier n(Opts({"http://am:9093"}), slow, RealClock(),
                         registry_);
  n.Start();
  n.Enqueue({Firing("p1")});
  ASSERT_TRUE(slow.entered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  n.Stop(absl::Seconds(20));
  EXPECT_EQ(slow.cancels.load(), 0);
  EXPECT_EQ(n.queue_length(), 0u);
  EXPECT_EQ(Metric("outcomes_notifier_sends_total"), "1");
}

TEST(ShortfallAlertTest, converts_notification) {
  AlertNotification n = Firing("p1");
  n.value = 0.45;
  n.target = 0.6;
  n.sample_size = 20;
  n.window = "30d";
  const v1::ShortfallAlert m = ToShortfallAlert(n);
  EXPECT_EQ(m.state(), v1::ALERT_STATE_FIRING);
  EXPECT_EQ(m.labels().at("provider"), "p1");
  EXPECT_EQ(m.starts_at().seconds(), 1767571200);
  EXPECT_FALSE(m.has_resolved_at());
  EXPECT_EQ(m.sample_size(), 20);
  EXPECT_EQ(m.window(), "30d");
}

}  // namespace
}  // namespace outcomes
