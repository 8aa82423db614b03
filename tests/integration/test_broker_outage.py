"""Broker outage (issue 7, item 7): the real Apache Kafka broker is killed
with SIGKILL while events flow (the producer is still sending), kept down
for 30 s and restarted on the same log dir and ports. outcomesd must stay
up, say that it is not ready during the outage, and resume with nothing lost:
its figures then equal those of a daemon that never saw the outage (a fresh
consumer group reading the same topic), and it has counted every message
the topic holds.

Real broker only: the mock cluster keeps everything in memory and cannot be
restarted on the same port.

Two daemon bugs were found with it against the real broker, and fixed:
- Ready during the outage: the revocation after the session timeout ran a
  synchronous rd_kafka_commit that blocked the consumer thread while the
  coordinator was unreachable, so readiness was never updated. Now lost
  partitions are not committed, periodic commits are asynchronous, and no
  commit is tried while no broker answers the readiness probe.
- Counted twice: a partition revoked without its processed offsets
  committed was consumed again from the older committed offset and counted
  a second time. Now those messages are replayed (not counted) when the
  partition comes back.
"""
import json
import signal
import subprocess
import time
import unittest

from harness import (Daemon, binary, end_offsets, events_counted,
                     make_broker, metric_sum, requires_real_kafka,
                     simulate_events, wait_until)

TOPIC = "outcomes.events"
PARTITIONS = 4
OUTAGE = 30       # seconds the broker stays down
SESSION = 6       # the harness's session.timeout.ms, in seconds
PROVIDERS = 50


def simulate(bootstrap, *flags):
    simulate_events(bootstrap, PROVIDERS, *flags)


def messages_in_topic(bootstrap):
    """Sum of the partitions' end offsets (nothing is deleted: offset 0 up)."""
    return sum(end_offsets(bootstrap, TOPIC, PARTITIONS).values())


def listing(daemon):
    return json.dumps(daemon.json("/api/v1/providers")["providers"],
                      sort_keys=True)


@requires_real_kafka
class BrokerOutageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = make_broker(partitions=PARTITIONS)
        cls.addClassCleanup(cls.broker.close)
        simulate(cls.broker.bootstrap, "--seed=1", "--days=30")
        # The daemon's default commit interval (the harness's is 200 ms).
        cls.daemon = Daemon(cls.broker.bootstrap, "--commit.interval=1s")
        cls.addClassCleanup(cls.daemon.close)
        d = cls.daemon
        backfill = messages_in_topic(cls.broker.bootstrap)
        wait_until(lambda: d.ready() and events_counted(d.metrics()) == backfill,
                   90, "outcomesd ready with the backfill", interval=0.2)

        # Live events; once the daemon has counted 2,000 of them the broker
        # is killed while the producer still sends, then the producer too.
        live = subprocess.Popen(
            [binary("outcomes-simulate"), f"--brokers={cls.broker.bootstrap}",
             "--seed=2", f"--providers={PROVIDERS}", "--days=1",
             "--rate=2000"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: live.poll() is None
                       and events_counted(d.metrics()) >= backfill + 2000, 60,
                       "live events counted", interval=0.1)
            cls.broker.stop(kill=True)
            killed = time.monotonic()
        finally:
            live.send_signal(signal.SIGKILL)
            live.wait(10)

        # The outage, observed every 0.5 s.
        cls.samples = []   # (seconds since the kill, alive, healthz, readyz)
        while time.monotonic() - killed < OUTAGE:
            t = time.monotonic() - killed
            alive = d.proc.poll() is None
            health = ready = None
            if alive:
                try:
                    health = d.get("/healthz")[0]
                    ready = d.get("/readyz")[0]
                except OSError:
                    pass
            cls.samples.append((t, alive, health, ready))
            time.sleep(0.5)

        restart = time.monotonic()
        cls.broker.start()
        simulate(cls.broker.bootstrap, "--seed=3", "--days=2")
        cls.total = messages_in_topic(cls.broker.bootstrap)

        def recovered():
            if d.get("/readyz")[0] != 200:
                return False
            m = d.metrics()
            return (events_counted(m) >= cls.total
                    and metric_sum(m, "outcomes_kafka_consumer_lag") == 0) and m
        try:
            cls.final = wait_until(recovered, 120, "recovery after the outage",
                                   interval=0.2)
        except TimeoutError:
            m = d.metrics()
            raise AssertionError(
                f"not recovered: /readyz {d.get('/readyz')[0]}, counted "
                f"{events_counted(m)} of {cls.total} messages, lag "
                f"{metric_sum(m, 'outcomes_kafka_consumer_lag')}\n"
                + "\n".join(line for line in d.log_text().splitlines()
                             if "Connect to ipv4" not in line)[-6000:])
        cls.recovery_seconds = time.monotonic() - restart
        print(f"recovered {cls.recovery_seconds:.1f} s after the broker "
              f"restart; {cls.total} messages in the topic, accepted "
              f"{metric_sum(cls.final, 'outcomes_events_total'):.0f}; "
              "/readyz during the outage: " + " ".join(
                  f"+{t:.0f}s:{r}" for t, _, _, r in cls.samples[::4]),
              flush=True)

    def test_stays_up_and_resumes_with_nothing_lost(self):
        for t, alive, health, _ in self.samples:
            self.assertTrue(alive, f"outcomesd exited {t:.1f} s into the outage")
            self.assertEqual(health, 200, f"/healthz at +{t:.1f} s")
        m = self.final
        self.assertGreaterEqual(metric_sum(m, "outcomes_events_total"),
                                self.total)
        self.assertEqual(metric_sum(m, "outcomes_events_rejected_total"), 0)
        # Figures equal those of a daemon that never saw the outage.
        fresh = Daemon(self.broker.bootstrap, group="fresh", name="fresh")
        self.addCleanup(fresh.close)
        wait_until(lambda: fresh.ready()
                   and events_counted(fresh.metrics()) == self.total, 90,
                   "fresh daemon ready", interval=0.2)
        wait_until(lambda: listing(fresh) == listing(self.daemon), 30,
                   "the same /api/v1/providers as a daemon without outage",
                   interval=0.5)

    def test_reports_not_ready_during_outage(self):
        # From a few seconds after the session timeout on, the daemon has no
        # working assignment: it must say so.
        late = [(t, ready) for t, _, _, ready in self.samples
                if t >= SESSION + 4]
        self.assertTrue(late)
        self.assertTrue(all(ready != 200 for _, ready in late),
                        "/readyz during the outage: "
                        + ", ".join(f"+{t:.0f}s {r}" for t, r in late[::4]))

    def test_counts_each_message_once(self):
        self.assertEqual(metric_sum(self.final, "outcomes_events_total"),
                         self.total)
        self.assertEqual(
            metric_sum(self.final, "outcomes_events_duplicate_total"), 0)


if __name__ == "__main__":
    unittest.main()
