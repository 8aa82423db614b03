"""Integration: hostile events (invalid UTF-8, truncated protobuf, deep JSON,
huge strings) are rejected, counted and dead-lettered, and the daemon's log
stays one JSON object per line: libprotobuf's own complaints ("String field
... contains invalid UTF-8") go through the JSON log, not as plain text."""
import json
import time
import unittest

from harness import (Broker, Daemon, encode_event, kcat_produce_files,
                     metric_sum, to_json, wait_until)

TOPIC = "outcomes.events"


def event(i, **extra):
    ev = {"event_id": f"ev-hostile-{i}", "type": "referral",
          "occurred_at": time.time() - 3600, "provider_id": "prov-h",
          "program_id": "workforce", "client_key": f"case-{i}"}
    ev.update(extra)
    return ev


class HostileInputTest(unittest.TestCase):
    def test_hostile_events_are_rejected_and_the_log_stays_json(self):
        broker = Broker(partitions=2)
        self.addCleanup(broker.close)
        good = encode_event(event(0))
        hostile = [
            encode_event(event(1, client_key=b"case-\xff\xfe-1")),
            encode_event(event(2, event_id=b"\xc3\x28-bad")),
            good[:len(good) // 2],                           # truncated
            b'{"event_id":"' + b"[" * 100000 + b'"}',          # deep-ish JSON
            (to_json(event(3))[:-1] + b',"x":' + b"[" * 100000 + b"]" * 100000
             + b"}"),                                         # 100k-deep JSON
            to_json(event(4)).replace(b"case-4", b"case-\xff-4"),  # bad UTF-8
            encode_event(event(5, client_key="k" * 900000)),  # 900 KB string
        ]
        d = Daemon(broker.bootstrap, "--eval.interval=1s")
        self.addCleanup(d.close)
        kcat_produce_files(broker.bootstrap, TOPIC, "prov-h", [good] + hostile)
        wait_until(lambda: metric_sum(d.metrics(), "outcomes_events_total")
                   + metric_sum(d.metrics(), "outcomes_events_rejected_total")
                   >= 1 + len(hostile), 30, "every message counted")
        m = d.metrics()
        self.assertEqual(metric_sum(m, "outcomes_events_total"), 1)
        self.assertEqual(metric_sum(m, "outcomes_events_rejected_total"),
                         len(hostile))
        lines = [l for l in d.log_text().splitlines() if l.strip()]
        for line in lines:
            self.assertTrue(line.startswith("{"), line)
            json.loads(line)
        self.assertNotIn("[libprotobuf", d.log_text())
        self.assertNotIn("case-", d.log_text())  # no client key, ever


if __name__ == "__main__":
    unittest.main()
