"""E2E fault test (issue 7): three replicas started and stopped during a
stream, as a rolling deploy and a scale-out would.

Replica A holds everything and has alerts pending (`for: 20s`) and firing;
B and C join, A stops, A comes back, C stops, while live events flow. Once
settled:

- the union of the replicas' /api/v1/providers equals what one replica that
  read the topic alone shows, and no provider is exported by two replicas;
- every alert fired exactly once at the webhook (one startsAt, nothing
  resolved), the same alerts as the lone replica's;
- the `for` timers were kept across the moves: each pending alert fired
  `for` after A first saw it pending, not after its last owner got it.

Run: OUTCOMES_BUILD_DIR=build python3 -u tests/e2e/test_replicas.py
"""
import datetime
import shutil
import subprocess
import tempfile
import time
import unittest

from e2e_harness import (Alertmanager, Recorder, alerts_api, binary,
                         make_broker, settled_providers,
                         notifications, parse_series, simulate, start_daemon,
                         wait_until, write_rules)

FOR_SECONDS = 20
RULES = f"""\
contracts:
  - id: replicas-workforce
    program: workforce
    providers: []
    goals:
      - name: enrollment-rate
        alert: EnrollmentRateShortfall
        metric: enrollment_rate
        window: 30d
        min: 0.5
        min_sample: 20
        for: {FOR_SECONDS}s
        severity: warning
"""
PROVIDERS = 12


def parse_rfc3339(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def label_key(alert):
    return tuple(sorted(alert["labels"].items()))


class Replicas(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="e2e-replicas-")
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)
        self.broker = make_broker(partitions=8)
        self.addCleanup(self.broker.close)
        self.hook = Recorder()
        self.addCleanup(self.hook.close)
        self.am = Alertmanager(self.hook.url)
        self.addCleanup(self.am.close)
        self.rules = write_rules(self.work + "/rules", RULES)

    def replica(self, name, group="replicas"):
        return start_daemon(self, self.broker.bootstrap, self.rules,
                            group=group, state_dir=f"{self.work}/{name}",
                            alertmanagers=[self.am.url], name=name)

    def test_rolling_moves_keep_figures_alerts_and_for_timers(self):
        simulate(self.broker.bootstrap, self.work, providers=PROVIDERS,
                 programs=1, shortfall_providers=3, days=60, seed=21, rate=0)
        a = self.replica("a")
        wait_until(a.ready, 90, "replica a ready")
        pending = wait_until(
            lambda: {label_key(x): parse_rfc3339(x["activeAt"])
                     for x in alerts_api(a) if x["state"] == "pending"},
            30, "pending alerts on a")
        stream = subprocess.Popen(
            [binary("outcomes-simulate"), f"--brokers={self.broker.bootstrap}",
             f"--providers={PROVIDERS}", "--programs=1",
             "--shortfall_providers=3", "--days=0", "--seed=22", "--rate=800",
             "--max_events=30000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(lambda: stream.poll() is None and stream.kill())
        b = self.replica("b")
        c = self.replica("c")
        wait_until(lambda: b.ready() and c.ready(), 60, "b and c ready")
        self.assertEqual(a.terminate(), 0)     # a leaves (rolling deploy)
        a = self.replica("a")                  # ... and comes back
        wait_until(a.ready, 60, "a ready again")
        self.assertEqual(c.terminate(), 0)     # scale in
        self.assertEqual(stream.wait(120), 0, stream.stderr.read().decode())
        stream.stderr.close()
        got = settled_providers([a, b], 120)

        ref = start_daemon(self, self.broker.bootstrap, self.rules,
                           group="replicas-ref", name="alone")
        want = settled_providers([ref], 120)
        self.assertEqual(len(got), PROVIDERS)
        self.assertEqual(got, want)

        # Same alerts firing, each fired once, none resolved.
        def firing(ds):
            return sorted(label_key(x) for d in ds for x in alerts_api(d)
                          if x["state"] == "firing")
        wait_until(lambda: firing([a, b]) == firing([ref]) and firing([ref]),
                   60, "same firing alerts")
        self.assertEqual(notifications(self.hook, "resolved"), [])
        starts = {}
        for _, body in notifications(self.hook, "firing"):
            for x in body["alerts"]:
                starts.setdefault(label_key(x), set()).add(x["startsAt"])
        for key, values in starts.items():
            self.assertEqual(len(values), 1, f"{key} re-fired: {values}")
        # The for timers ran from a's first pending time. An alert may fire a
        # few seconds after its timer ran out when its partition was being
        # moved then: a partition that is not ready is parked (neither judged
        # nor resolved) until it has caught up. 10 s bounds that wait here
        # (measured: up to 6.5 s with 800 events/s arriving during the moves).
        for key, active_at in pending.items():
            self.assertIn(key, starts)
            fired = parse_rfc3339(next(iter(starts[key])))
            late = (fired - active_at).total_seconds() - FOR_SECONDS
            self.assertGreater(late, -2, f"{key} fired {late:+.1f}s early")
            self.assertLess(late, 10, f"{key} fired {late:+.1f}s late")
        # No provider's figures exported by two replicas.
        for name in ("outcomes_window_events",):
            seen = {}
            for d in (a, b):
                for labels, _ in parse_series(d.get("/metrics")[1], name):
                    key = (labels["provider"], labels["program"],
                           labels["type"], labels["window"])
                    self.assertNotIn(key, seen, f"{key} exported twice")
                    seen[key] = d.name


if __name__ == "__main__":
    unittest.main()
