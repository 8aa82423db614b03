"""E2E fault test (issue 7): kill -9 at random points while events flow.

A broker, a backfilled agency with shortfall providers, outcomesd with
--state.dir and contract goals, Alertmanager 0.25 and a webhook. While a
live stream of events is produced, outcomesd is killed with SIGKILL at five
random points and started again on the same state dir and group. Once the
stream ends and the daemon is ready:

- its figures (/api/v1/providers, every provider and program) equal those of
  a daemon that read the same topic without interruption;
- its alerts are the same as that daemon's;
- at the webhook, every alert fired once: all its firing notifications carry
  one startsAt, and nothing was resolved.

Run: OUTCOMES_BUILD_DIR=build python3 -u tests/e2e/test_faults.py
"""
import os
import random
import shutil
import subprocess
import tempfile
import time
import unittest

from e2e_harness import (Alertmanager, Recorder, alerts_api, binary,
                         make_broker, settled_providers,
                         notifications, simulate, start_daemon, wait_until,
                         write_rules)

RULES = """\
contracts:
  - id: faults-workforce
    program: workforce
    providers: []
    goals:
      - name: enrollment-rate
        alert: EnrollmentRateShortfall
        metric: enrollment_rate
        window: 30d
        min: 0.5
        min_sample: 20
        for: 0s
        severity: warning
      - name: stalled
        alert: StalledReferrals
        metric: stalled_referrals
        max: 40
        min_sample: 1
        for: 0s
        severity: warning
"""
KILLS = 5


def firing_labels(daemon):
    return sorted(tuple(sorted(a["labels"].items()))
                  for a in alerts_api(daemon) if a["state"] == "firing")


class KillNine(unittest.TestCase):
    def test_kill_nine_during_a_stream_loses_and_doubles_nothing(self):
        rng = random.Random(int(os.environ.get("FAULT_SEED", "20261202")))
        work = tempfile.mkdtemp(prefix="e2e-faults-")
        self.addCleanup(shutil.rmtree, work, ignore_errors=True)
        broker = make_broker(partitions=8)
        self.addCleanup(broker.close)
        hook = Recorder()
        self.addCleanup(hook.close)
        am = Alertmanager(hook.url)
        self.addCleanup(am.close)
        rules = write_rules(work + "/rules", RULES)
        simulate(broker.bootstrap, work, providers=12, programs=1,
                 shortfall_providers=3, days=60, seed=5, rate=0)
        state = work + "/state"
        args = dict(group="faults", state_dir=state, alertmanagers=[am.url])
        d = start_daemon(self, broker.bootstrap, rules, name="victim", **args)
        wait_until(d.ready, 90, "first start ready")
        wait_until(lambda: notifications(hook, "firing"), 60, "alerts firing")

        stream = subprocess.Popen(
            [binary("outcomes-simulate"), f"--brokers={broker.bootstrap}",
             "--providers=12", "--programs=1", "--shortfall_providers=3",
             "--days=0", "--seed=6", "--rate=1500", "--max_events=30000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(lambda: stream.poll() is None and stream.kill())
        for i in range(KILLS):
            time.sleep(rng.uniform(0.5, 3.0))  # a random point in the stream
            d.proc.kill()
            d.proc.wait(10)
            d = start_daemon(self, broker.bootstrap, rules,
                             name=f"victim-{i + 1}", **args)
        self.assertEqual(stream.wait(120), 0, stream.stderr.read().decode())
        stream.stderr.close()
        got = settled_providers([d], 120)

        ref = start_daemon(self, broker.bootstrap, rules, group="faults-ref",
                           name="uninterrupted")
        want = settled_providers([ref], 120)
        self.assertEqual(len(got), 12)
        self.assertEqual(got, want)
        wait_until(lambda: firing_labels(d) == firing_labels(ref)
                   and firing_labels(d), 30, "same firing alerts")

        # Every alert fired once and nothing resolved, through five kills.
        self.assertEqual(notifications(hook, "resolved"), [])
        starts = {}
        for _, body in notifications(hook, "firing"):
            for a in body["alerts"]:
                key = tuple(sorted(a["labels"].items()))
                starts.setdefault(key, set()).add(a["startsAt"])
        self.assertTrue(starts)
        for key, values in starts.items():
            self.assertEqual(len(values), 1, f"{key} re-fired: {values}")


if __name__ == "__main__":
    unittest.main()
