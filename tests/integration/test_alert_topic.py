"""Integration: firing alerts are also written to the outcomes.alerts Kafka
topic as protobuf ShortfallAlert, keyed by provider (docs/goals.md, "Alerts")."""
import os
import subprocess
import unittest

from harness import make_broker, Daemon, binary, wait_until

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def decode_alert(payload):
    r = subprocess.run(
        ["protoc", "--decode=outcomes.v1.ShortfallAlert",
         f"-I{REPO}/proto", "-I/usr/include", "outcomes/v1/alert.proto"],
        input=payload, capture_output=True, timeout=30, check=True)
    return r.stdout.decode()


class AlertTopicTest(unittest.TestCase):
    def test_firing_alerts_reach_the_alerts_topic(self):
        broker = make_broker(partitions=4)
        self.addCleanup(broker.close)
        sim = subprocess.run(
            [binary("outcomes-simulate"), f"--brokers={broker.bootstrap}",
             "--providers=10", "--days=60", "--seed=42", "--rate=0"],
            capture_output=True, timeout=120)
        self.assertEqual(sim.returncode, 0, sim.stderr.decode())
        d = Daemon(broker.bootstrap, f"--rules={REPO}/rules/demo")
        self.addCleanup(d.close)
        firing = wait_until(
            lambda: [a for a in d.json("/api/v1/alerts")["alerts"]
                     if a["state"] == "firing"], 60, "a firing alert")
        def message_keys():
            out = subprocess.run(
                ["kcat", "-C", "-b", broker.bootstrap, "-t", "outcomes.alerts",
                 "-o", "beginning", "-e", "-q", "-f", "%k\n"],
                capture_output=True, timeout=60, check=True).stdout
            keys = [k for k in out.decode().split("\n") if k]
            return keys if len(keys) >= len(firing) else None
        keys = wait_until(message_keys, 30, "alerts on the topic")
        self.assertEqual(sorted(set(keys)),
                         sorted({a["labels"]["provider"] for a in firing}))
        # Every firing instance's labels appear in some message on the topic.
        all_text = "".join(
            decode_alert(m) for m in fetch_payloads(broker.bootstrap))
        self.assertIn("state: ALERT_STATE_FIRING", all_text)
        for a in firing:
            self.assertIn(f'value: "{a["labels"]["alertname"]}"', all_text)
            self.assertIn(f'value: "{a["labels"]["provider"]}"', all_text)
        self.assertNotIn("client", all_text.lower().replace("clients", ""))


def fetch_payloads(bootstrap):
    """Each message of outcomes.alerts as bytes (one kcat call per offset)."""
    payloads = []
    for partition in range(4):
        offset = 0
        while True:
            out = subprocess.run(
                ["kcat", "-C", "-b", bootstrap, "-t", "outcomes.alerts",
                 "-p", str(partition), "-o", str(offset), "-e", "-q", "-c", "1",
                 "-f", "%s"], capture_output=True, timeout=60).stdout
            if not out:
                break
            payloads.append(out)
            offset += 1
    return payloads


if __name__ == "__main__":
    unittest.main()
