// WorkerPool (bounded queue, Stop drains) and ConnectionReaper (deadline on
// a fake clock, busy connections exempt) without a server.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "absl/synchronization/notification.h"
#include "daemon/base/clock.h"
#include "daemon/http/connection_reaper.h"
#include "daemon/http/worker_pool.h"
#include "gtest/gtest.h"

namespace outcomes {
namespace {

TEST(WorkerPoolTest, QueueIsBoundedAndStopRunsWhatIsQueued) {
  WorkerPool pool(1, 2);
  absl::Notification started, release;
  std::atomic<int> ran = 0;
  ASSERT_TRUE(pool.Submit([&] {
    started.Notify();
    release.WaitForNotification();
    ++ran;
  }));
  started.WaitForNotification();  // the worker is busy, the queue empty
  EXPECT_TRUE(pool.Submit([&] { ++ran; }));
  EXPECT_TRUE(pool.Submit([&] { ++ran; }));
  EXPECT_FALSE(pool.Submit([&] { ++ran; }));  // full
  release.Notify();
  pool.Stop();
  EXPECT_EQ(ran.load(), 3);
  EXPECT_FALSE(pool.Submit([&] { ++ran; }));  // stopped
}

// A socket pair: the reaper shuts down fds[0]; fds[1] then reads EOF.
struct Pair {
  Pair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0); }
  ~Pair() {
    close(fds[0]);
    close(fds[1]);
  }
  bool PeerSeesEof() const {
    char c;
    return recv(fds[1], &c, 1, MSG_DONTWAIT) == 0;
  }
  int fds[2];
};

TEST(ConnectionReaperTest, OverdueConnectionsAreShutDownOnce) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  int timeouts = 0;
  ConnectionReaper reaper(clock, absl::Seconds(10), [&] { ++timeouts; });
  Pair a, b;
  const auto ida = reaper.Add(a.fds[0]);
  clock.Advance(absl::Seconds(5));
  reaper.Add(b.fds[0]);
  clock.Advance(absl::Seconds(6));  // a: 11 s, b: 6 s
  EXPECT_EQ(reaper.SweepOnce(), 1);
  EXPECT_TRUE(a.PeerSeesEof());
  EXPECT_FALSE(b.PeerSeesEof());
  EXPECT_EQ(reaper.SweepOnce(), 0);  // not twice
  EXPECT_EQ(timeouts, 1);
  EXPECT_EQ(reaper.open(), 2);
  reaper.Remove(ida);
  EXPECT_EQ(reaper.open(), 1);
}

TEST(ConnectionReaperTest, BusyConnectionsWaitAndThenGetAFreshDeadline) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  ConnectionReaper reaper(clock, absl::Seconds(10), nullptr);
  Pair a;
  const auto id = reaper.Add(a.fds[0]);
  reaper.SetBusy(id, true);
  clock.Advance(absl::Minutes(5));  // a long handler
  EXPECT_EQ(reaper.SweepOnce(), 0);
  reaper.SetBusy(id, false);  // answer ready: 10 s to send it
  clock.Advance(absl::Seconds(9));
  EXPECT_EQ(reaper.SweepOnce(), 0);
  reaper.Restart(id);  // answered; a keep-alive connection gets 10 s more
  clock.Advance(absl::Seconds(9));
  EXPECT_EQ(reaper.SweepOnce(), 0);
  clock.Advance(absl::Seconds(2));
  EXPECT_EQ(reaper.SweepOnce(), 1);
  EXPECT_TRUE(a.PeerSeesEof());
}

}  // namespace
}  // namespace outcomes
