"""Integration: history completeness (docs/design.md, "State through restarts, rebalances and faults", issue 7).

One partition whose log lost its start: the mock cluster keeps about 5 MiB
per partition, so ~107k simulated events over 110 days leave only the last
~35 days (low watermark > 0); on Apache Kafka the same start is removed
with the admin API's DeleteRecords, as retention would. outcomesd must then
say so:

- outcomes_history_complete{topic,partition} is 0;
- in /api/v1/providers/{id} the 7d window (reads back 21 days) is complete,
  the 30d and 90d windows (44 and 104 days) and the horizon are not;
- a 90-day referral-volume goal that the missing data would break raises
  no alert, while a 7-day goal on the same provider still does;
- on Apache Kafka, with retention.ms set to 30 days, the daemon warns at
  startup that retention is shorter than the horizon.

Run: OUTCOMES_BUILD_DIR=build python3 -u tests/integration/test_history.py
"""
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import REAL_KAFKA, Daemon, binary, make_broker, wait_until

TOPIC = "outcomes.events"

RULES = """\
contracts:
  - id: history
    program: workforce
    providers: [prov-001]
    goals:
      - name: referrals-90d
        alert: ReferralVolume90d
        metric: window_events:referral
        window: 90d
        min: 100000
        min_sample: 0
        for: 0s
        severity: warning
      - name: referrals-7d
        alert: ReferralVolume7d
        metric: window_events:referral
        window: 7d
        min: 100000
        min_sample: 0
        for: 0s
        severity: warning
"""


class HistoryCompleteness(unittest.TestCase):
    def test_truncated_log_is_marked_incomplete_and_not_judged(self):
        work = tempfile.mkdtemp(prefix="it-history-")
        self.addCleanup(shutil.rmtree, work, ignore_errors=True)
        broker = make_broker(partitions=1)
        self.addCleanup(broker.close)
        r = subprocess.run(
            [binary("outcomes-simulate"), f"--brokers={broker.bootstrap}",
             "--providers=10", "--programs=1", "--referrals_per_day=40",
             "--days=110", "--seed=4"], capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        if REAL_KAFKA:  # keep what the mock keeps: the last 33,000
            total = int(r.stderr.decode().split("events=")[1].split()[0])
            broker.delete_records(TOPIC, 0, total - 33000)
            # And a retention shorter than the 120-day horizon: warned.
            broker.alter_topic(TOPIC, {"retention.ms": str(30 * 86400000)})
        low = subprocess.run(
            ["kcat", "-C", "-b", broker.bootstrap, "-t", TOPIC, "-o",
             "beginning", "-c", "1", "-q", "-f", "%o\n"],
            capture_output=True, timeout=60, check=True).stdout.decode()
        self.assertGreater(int(low), 0, "the mock kept the whole log")

        rules = os.path.join(work, "rules.yaml")
        with open(rules, "w") as f:
            f.write(RULES)
        d = Daemon(broker.bootstrap, f"--rules={rules}", group="history")
        self.addCleanup(d.close)
        wait_until(d.ready, 90, "ready")
        series = f'outcomes_history_complete{{partition="0",topic="{TOPIC}"}}'
        self.assertEqual(d.metrics()[series], 0)

        detail = d.json("/api/v1/providers/prov-001")["programs"][0]
        complete = {w["window"]: w["complete"] for w in detail["windows"]}
        self.assertEqual(complete, {"7d": True, "30d": False, "90d": False})
        self.assertFalse(detail["history_complete"])
        headline = d.json("/api/v1/providers")["providers"][0]["programs"][0]
        self.assertEqual((headline["window"], headline["complete"]),
                         ("30d", False))

        def alertnames():
            return sorted(a["labels"]["alertname"]
                          for a in d.json("/api/v1/alerts")["alerts"])
        wait_until(lambda: alertnames(), 30, "the 7d goal's alert")
        try:  # several evaluations (--eval.interval=1s) in which it would
            wait_until(lambda: "ReferralVolume90d" in alertnames(), 5,
                       "a 90d alert from missing data")
        except TimeoutError:
            pass
        self.assertEqual(alertnames(), ["ReferralVolume7d"])
        if REAL_KAFKA:  # the mock answers no DescribeConfigs
            wait_until(lambda: "topic retention is shorter than the horizon"
                       in d.log_text(), 20, "the retention warning")


if __name__ == "__main__":
    unittest.main()
