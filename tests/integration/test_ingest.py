"""Integration: outcomes-broker (real Kafka protocol over TCP) + kcat +
outcomesd. Asserts exact counts, dead-letter contents and restart safety."""
import subprocess
import time
import unittest

from harness import (make_broker, Daemon, binary, encode_event, kcat_consume,
                     kcat_produce_files, metric_sum, to_json, wait_until)

TOPIC = "outcomes.events"
DLQ = "outcomes.events.dlq"


def event(i, type_, provider, client, **extra):
    ev = {"event_id": f"ev-{provider}-{i}", "type": type_,
          "occurred_at": time.time() - 3600, "provider_id": provider,
          "program_id": "workforce", "client_key": client,
          "attributes": {"race_ethnicity": "black"}}
    ev.update(extra)
    return ev


class IngestTest(unittest.TestCase):
    def setUp(self):
        self.broker = make_broker(partitions=16)
        self.addCleanup(self.broker.close)

    def start_daemon(self, **kw):
        d = Daemon(self.broker.bootstrap, **kw)
        self.addCleanup(d.close)
        return d

    def test_exact_counts_and_dead_letters(self):
        referrals = [encode_event(event(i, "referral", "prov-a", f"secret-a{i}"))
                     for i in range(10)]
        enrollments = [to_json(event(i, "enrollment", "prov-b", f"secret-b{i}"))
                       for i in range(5)]
        outcome = [to_json(event(99, "outcome", "prov-b", "secret-b0",
                                 outcome_code="job_placement",
                                 outcome_value=18.25))]
        now = time.time()
        bad = {
            "malformed": [b"\xff\xff\xffgarbage", b"{not json at all"],
            "missing_field": [
                encode_event({k: v for k, v in event(50, "referral", "prov-c",
                                                     "secret-c1").items()
                              if k != "client_key"}),
                to_json({k: v for k, v in event(51, "referral", "prov-c",
                                                "secret-c2").items()
                         if k != "event_id"})],
            "invalid_field": [encode_event(event(52, "referral", "prov c",
                                                 "secret-c3"))],
            "future_timestamp": [encode_event(event(
                53, "referral", "prov-c", "secret-c4", occurred_at=now + 3600))],
            "too_old": [encode_event(event(
                54, "referral", "prov-c", "secret-c5",
                occurred_at=now - 200 * 86400))],
        }
        kcat_produce_files(self.broker.bootstrap, TOPIC, "prov-a", referrals)
        kcat_produce_files(self.broker.bootstrap, TOPIC, "prov-b",
                           enrollments + outcome)
        kcat_produce_files(self.broker.bootstrap, TOPIC, "prov-a", referrals[:3])
        for values in bad.values():
            kcat_produce_files(self.broker.bootstrap, TOPIC, "prov-c", values)

        d = self.start_daemon()
        wait_until(d.ready, 30, "readiness")
        expected = {
            'outcomes_events_total{type="referral"}': 10,
            'outcomes_events_total{type="enrollment"}': 5,
            'outcomes_events_total{type="outcome"}': 1,
            'outcomes_events_total{type="completion"}': 0,
            'outcomes_events_total{type="disenrollment"}': 0,
            "outcomes_events_duplicate_total": 3,
            'outcomes_events_rejected_total{reason="malformed"}': 2,
            'outcomes_events_rejected_total{reason="missing_field"}': 2,
            'outcomes_events_rejected_total{reason="invalid_field"}': 1,
            'outcomes_events_rejected_total{reason="future_timestamp"}': 1,
            'outcomes_events_rejected_total{reason="too_old"}': 1,
            "outcomes_ready": 1,
        }

        def counts_match():
            m = d.metrics()
            return all(m.get(k) == v for k, v in expected.items())
        try:
            wait_until(counts_match, 20, "exact counts")
        finally:
            got = d.metrics()
            for k, v in expected.items():
                self.assertEqual(got.get(k), v, k)

        # Every reject is in the dead-letter topic with reason and source.
        sources = {(m["partition"], m["offset"]): m["payload"]
                   for m in kcat_consume(self.broker.bootstrap, TOPIC)}
        dead = wait_until(
            lambda: (lambda x: x if len(x) == 7 else None)(
                kcat_consume(self.broker.bootstrap, DLQ)), 20, "7 dead letters")
        reasons = {}
        for m in dead:
            h = dict(zip(m["headers"][::2], m["headers"][1::2]))
            reasons[h["reason"]] = reasons.get(h["reason"], 0) + 1
            self.assertEqual(h["source_topic"], TOPIC)
            src = (int(h["source_partition"]), int(h["source_offset"]))
            self.assertEqual(sources[src], m["payload"], h)
            self.assertEqual(m["key"], "prov-c")
            self.assertTrue(h["detail"])
        self.assertEqual(reasons, {k: len(v) for k, v in bad.items()})

        # No client key leaks into metrics or logs.
        text = d.get("/metrics")[1]
        d.terminate()
        for output in (text, d.log_text()):
            self.assertNotIn("secret-", output)

    def test_metrics_pass_promtool(self):
        d = self.start_daemon()
        wait_until(d.ready, 30, "readiness")
        text = d.get("/metrics")[1]
        r = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())

    def test_sigterm_mid_stream_then_restart_loses_and_doubles_nothing(self):
        produced = 200000
        sim = subprocess.run(
            [binary("outcomes-simulate"), f"--brokers={self.broker.bootstrap}",
             "--providers=200", "--days=60", "--seed=7", "--rate=0",
             f"--max_events={produced}", "--referrals_per_day=30"],
            capture_output=True, timeout=300)
        self.assertEqual(sim.returncode, 0, sim.stderr.decode())

        d = self.start_daemon(name="first")
        wait_until(lambda: metric_sum(d.metrics(), "outcomes_events_total") > 0,
                   30, "consumption to start", interval=0.01)
        self.assertEqual(d.terminate(timeout=5), 0, d.log_text())
        before = stopped_totals(d.log_text())
        self.assertGreater(before, 0)
        self.assertLess(before, produced, "stop was not mid-stream")

        d2 = self.start_daemon(name="second")
        wait_until(d2.ready, 60, "second daemon ready")
        wait_until(lambda: before + metric_sum(d2.metrics(), "outcomes_events_total")
                   >= produced, 60, "all events")
        m = d2.metrics()
        self.assertEqual(before + metric_sum(m, "outcomes_events_total"), produced)
        self.assertEqual(metric_sum(m, "outcomes_events_rejected_total"), 0)
        # The second owner rebuilt its state from exactly the events the
        # first one had counted, without counting them again.
        self.assertEqual(m["outcomes_events_replayed_total"], before)


def stopped_totals(log):
    """Accepted-event total from the daemon's final "stopped" log line."""
    import json
    for line in reversed(log.splitlines()):
        if line.startswith("{") and '"msg":"stopped"' in line:
            return json.loads(line)["accepted"]
    raise AssertionError("no 'stopped' line in log:\n" + log[-3000:])


if __name__ == "__main__":
    unittest.main()
