"""Integration: rule reload (POST /-/reload and SIGHUP) is atomic; a bad file
keeps the old rules in force and is reported in the log and in metrics; a bad
rules file at startup is fatal with a precise message."""
import json
import os
import signal
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

from harness import make_broker, Daemon, binary, wait_until

GOOD = """contracts:
  - id: c1
    program: workforce
    goals:
      - name: referral-volume
        alert: ReferralVolumeShortfall
        metric: window_events:referral
        window: 30d
        min: 20
        for: 0s
        severity: info
"""

SECOND_GOAL = """      - name: completion-rate
        alert: CompletionRateShortfall
        metric: completion_rate
        window: 90d
        min: 0.5
        for: 1h
        severity: warning
"""

BAD = GOOD.replace("severity: info", "severty: info")


class RulesReloadTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rules-")
        self.path = os.path.join(self.dir, "contract.yaml")
        self.write(GOOD)
        self.broker = make_broker(partitions=2)
        self.addCleanup(self.broker.close)

    def write(self, text):
        with open(self.path + ".tmp", "w") as f:
            f.write(text)
        os.replace(self.path + ".tmp", self.path)

    def goals(self, d):
        rules = d.json("/api/v1/rules")
        return [g["name"] for c in rules["contracts"] for g in c["goals"]]

    def test_reload_good_then_bad_keeps_old_rules(self):
        d = Daemon(self.broker.bootstrap, f"--rules={self.dir}")
        self.addCleanup(d.close)
        self.assertEqual(self.goals(d), ["referral-volume"])
        m = d.metrics()
        self.assertEqual(m['outcomes_rules_reloads_total{result="success"}'], 1)
        self.assertEqual(m["outcomes_rules_goals"], 1)

        self.write(GOOD + SECOND_GOAL)
        self.assertEqual(post(d.port, "/-/reload"),
                         (200, '{"status":"reloaded"}'))
        self.assertEqual(self.goals(d), ["referral-volume", "completion-rate"])

        self.write(BAD)
        status, body = post(d.port, "/-/reload")
        self.assertEqual(status, 500)
        self.assertIn("contract.yaml:11: contracts[0].goals[0].severty: unknown field",
                      json.loads(body)["error"])
        self.assertEqual(self.goals(d), ["referral-volume", "completion-rate"])
        m = d.metrics()
        self.assertEqual(m['outcomes_rules_reloads_total{result="failure"}'], 1)
        self.assertEqual(m["outcomes_rules_last_reload_success"], 0)
        self.assertEqual(m["outcomes_rules_goals"], 2)
        self.assertIn("severty", d.json("/api/v1/rules")["lastReloadError"])

        # SIGHUP reloads too.
        self.write(GOOD)
        d.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: self.goals(d) == ["referral-volume"], 10, "SIGHUP reload")
        m = d.metrics()
        self.assertEqual(m['outcomes_rules_reloads_total{result="success"}'], 3)
        self.assertEqual(m["outcomes_rules_last_reload_success"], 1)
        self.assertIn('"msg":"rules not loaded; previous rules stay in force"',
                      d.log_text())

    def test_bad_rules_at_startup_are_fatal(self):
        self.write(BAD)
        r = subprocess.run([binary("outcomesd"),
                            f"--kafka.brokers={self.broker.bootstrap}",
                            "--listen=127.0.0.1:0", f"--rules={self.dir}"],
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("contract.yaml:11: contracts[0].goals[0].severty: unknown field",
                      r.stderr.decode())


def post(port, path):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


if __name__ == "__main__":
    unittest.main()
