"""E2E (issue 4, acceptance 2): outcomes-broker + outcomes-simulate with one
provider below target -> outcomesd -> a real Alertmanager 0.25 -> webhook.

One scenario, in order:
  1. the shortfall provider's alert fires: exactly one firing notification
     at the webhook, exact labels, summary and full-sentence description;
     /api/v1/alerts and the outcomes_alerts gauge agree;
  2. Alertmanager is SIGKILLed while the alert fires, outcomesd's sends fail
     and are retried with backoff (three failures), Alertmanager restarts (fresh storage) on the same port
     -> the alert is back in Alertmanager (GET /api/v2/alerts) with no manual
     action, endsAt = last send + 4 x resend interval;
  3. the provider recovers with real data (late-arriving enrollments for its
     referrals) -> a resolved notification reaches the webhook.
"""
import math
import shutil
import tempfile
import time
import unittest

from e2e_harness import (Alertmanager, make_broker, Funnel, Recorder, alerts_api,
                         enrollment_rate_description, event_json_to_dict,
                         format_number, metric, notifications,
                         parse_series, parse_time, produce, simulate,
                         start_daemon, today, wait_until, write_rules)

CONTRACT = "e2e-workforce"
PROGRAM = "workforce"
GOAL = "enrollment-rate"
ALERT = "EnrollmentRateShortfall"
TARGET = 0.5
WINDOW = 30
PROVIDERS = ["prov-001", "prov-002", "prov-003"]
SHORT = "prov-001"   # --shortfall_providers=1: the first provider
RESEND = 2           # seconds: --alert.resend_interval

RULES = f"""\
contracts:
  - id: {CONTRACT}
    program: {PROGRAM}
    providers: [{", ".join(PROVIDERS)}]
    goals:
      - name: {GOAL}
        alert: {ALERT}
        metric: enrollment_rate
        window: {WINDOW}d
        min: {TARGET}
        min_sample: 20
        for: 0s
        keep_firing_for: 0s
        severity: warning
        summary: "{{{{provider}}}} enrollment rate {{{{value}}}} below target {{{{target}}}}"
"""


class AlertsEndToEnd(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="e2e-alerts-")
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)
        self.broker = make_broker(partitions=4)
        self.addCleanup(self.broker.close)
        self.webhook = Recorder()
        self.addCleanup(self.webhook.close)

    def test_fire_exactly_once_survive_alertmanager_restart_resolve(self):
        events = simulate(self.broker.bootstrap, self.work, providers=3,
                          programs=1, shortfall_providers=1, days=60, seed=11,
                          rate=0)
        rules = write_rules(self.work + "/rules", RULES)
        am = Alertmanager(self.webhook.url)
        self.addCleanup(am.close)
        d = start_daemon(self, self.broker.bootstrap, rules,
                         f"--alert.resend_interval={RESEND}s",
                         "--web.external_url=http://outcomes.test:9464",
                         "--alert.external_labels=cluster=ci,namespace=e2e",
                         group="e2e-alerts", state_dir=self.work + "/state",
                         alertmanagers=[am.url])

        # What the goal must find, recomputed from the simulator's events.
        on = today()
        funnels = {p: Funnel(events, p, PROGRAM) for p in PROVIDERS}
        expected = {p: f.enrollment_rate(WINDOW, on) for p, f in funnels.items()}
        short = {p for p, (k, n) in expected.items() if n >= 20 and k / n < TARGET}
        self.assertEqual(short, {SHORT}, expected)
        enrolled, sample = expected[SHORT]
        stalled, stalled_prio = funnels[SHORT].stalled(on)
        labels = {"alertname": ALERT, "contract": CONTRACT, "provider": SHORT,
                  "program": PROGRAM, "goal": GOAL, "severity": "warning"}
        # What Alertmanager gets: the external labels too (the API shows the
        # alert's own labels).
        am_labels = {**labels, "cluster": "ci", "namespace": "e2e"}
        value = enrolled / sample
        annotations = {
            "summary": f"{SHORT} enrollment rate {format_number(value)} "
                       f"below target {format_number(TARGET)}",
            "description": enrollment_rate_description(
                SHORT, PROGRAM, CONTRACT, GOAL, WINDOW, TARGET, enrolled,
                sample, stalled, stalled_prio),
            "value": format_number(value),
            "target": format_number(TARGET),
            "sample_size": str(sample),
        }

        # 1. Fires: one firing notification, exact labels and annotations.
        first = wait_until(lambda: notifications(self.webhook, "firing", **labels),
                           60, "firing notification at the webhook")
        _, body = first[0]
        self.assertEqual(len(body["alerts"]), 1, body)
        self.assertEqual(body["alerts"][0]["labels"], am_labels)
        self.assertEqual(body["alerts"][0]["generatorURL"],
                         f"http://outcomes.test:9464/api/v1/providers/{SHORT}")
        self.assertEqual(body["alerts"][0]["annotations"], annotations)
        self.assertEqual(body["alerts"][0]["status"], "firing")
        print("firing notification:", annotations["description"], flush=True)
        self.assertEqual(body["groupLabels"], {"alertname": ALERT,
                                               "contract": CONTRACT,
                                               "provider": SHORT})

        api = alerts_api(d)
        self.assertEqual([a["labels"] for a in api], [labels], api)
        a = api[0]
        self.assertEqual(a["state"], "firing")
        self.assertEqual(a["annotations"], annotations)
        self.assertEqual(a["sampleSize"], sample)
        self.assertEqual((a["target"], a["window"]), (TARGET, f"{WINDOW}d"))
        self.assertAlmostEqual(a["value"], value, places=5)  # 6 digits in JSON
        self.assertEqual(a["firingSince"], a["activeAt"])  # for: 0s
        self.assertEqual(
            parse_series(d.get("/metrics")[1], "outcomes_alerts"),
            [(dict(labels, alertstate="firing"), 1.0)])
        # The exposition prints 16 significant digits: equal to 1e-12.
        self.assertAlmostEqual(metric(d, "outcomes_goal_value", provider=SHORT,
                                      goal=GOAL), value, places=12)
        for p in PROVIDERS:
            k, n = expected[p]
            self.assertAlmostEqual(metric(d, "outcomes_goal_value", provider=p),
                                   k / n, places=12, msg=p)

        # Still exactly one firing notification after outcomesd has re-sent
        # the alert three more times (Alertmanager dedups; repeat is 1h).
        sends = metric(d, "outcomes_notifier_sends_total")
        wait_until(lambda: metric(d, "outcomes_notifier_sends_total") >= sends + 3,
                   8 * RESEND + 10, "three resends")
        self.assertEqual(len(notifications(self.webhook, "firing", **labels)), 1)
        self.assertEqual(len(notifications(self.webhook, **labels)), 1)
        self.assertEqual(len(self.webhook.posts()), 1, self.webhook.posts())
        self.assertEqual(metric(d, "outcomes_notifier_failures_total"), 0)
        [am_alert] = am.alerts()
        self.assertEqual(am_alert["labels"], am_labels)
        self.assertEqual(am_alert["status"]["state"], "active")

        # 2. Alertmanager SIGKILLed while firing: sends fail and are retried.
        am.kill()
        # Down long enough for three failed attempts (backoff 1 s, 2 s, ...).
        wait_until(lambda: metric(d, "outcomes_notifier_failures_total") >= 3,
                   30, "three failed sends while Alertmanager is down")
        # Counted against that Alertmanager (label alertmanager = its URL).
        self.assertGreaterEqual(
            metric(d, "outcomes_notifier_failures_total", alertmanager=am.url),
            3)
        [still] = alerts_api(d)
        self.assertEqual((still["state"], still["firingSince"]),
                         ("firing", a["firingSince"]))
        self.assertGreaterEqual(metric(d, "outcomes_notifier_queue_length"), 1)
        restart_at = time.time()
        am2 = Alertmanager(self.webhook.url, port=am.port, name="alertmanager2")
        self.addCleanup(am2.close)
        self.assertEqual(am2.alerts(), [])  # fresh storage: knows nothing
        back = wait_until(lambda: am2.alerts(), 30,
                          "the alert back in the restarted Alertmanager")
        restored_after = time.time() - restart_at
        self.assertEqual([x["labels"] for x in back], [am_labels])
        self.assertEqual(back[0]["annotations"], annotations)
        self.assertEqual(back[0]["status"]["state"], "active")
        self.assertEqual(parse_time(back[0]["startsAt"]),
                         parse_time(a["firingSince"]))
        # endsAt = the send time + 4 x resend interval.
        ends_in = parse_time(back[0]["endsAt"]).timestamp() - time.time()
        self.assertGreater(ends_in, 4 * RESEND - 3, back[0])
        self.assertLessEqual(ends_in, 4 * RESEND + 0.5, back[0])
        wait_until(lambda: metric(d, "outcomes_notifier_queue_length") == 0,
                   30, "the retry queue to drain")
        # The restarted Alertmanager lost its notification log with its
        # storage, so it notifies the (still firing) group once more.
        wait_until(lambda: len(notifications(self.webhook, "firing", **labels)) == 2,
                   20, "the restarted Alertmanager's notification")
        print(f"alert back in Alertmanager {restored_after:.1f}s after its "
              "restart began", flush=True)

        # 3. Recovery with real data: enrollments that happened within 14 days
        # of their referrals arrive late, just enough to reach the target.
        f = funnels[SHORT]
        missing = [r for r in f.window_referrals(WINDOW, on)
                   if not f.in_time(r[0], r[1])]
        needed = math.ceil(TARGET * sample) - enrolled
        self.assertGreater(len(missing), needed)
        late = []
        for i, (ref_day, _, _, ev) in enumerate(missing[:needed]):
            t = parse_time(ev["occurredAt"]).timestamp() + 86400
            late.append(event_json_to_dict(ev, event_id=f"e2e-late-enroll-{i}",
                                           type="enrollment", occurred_at=t))
        produce(self.broker.bootstrap, late)
        resolved = wait_until(
            lambda: notifications(self.webhook, "resolved", **labels), 60,
            "resolved notification at the webhook")
        self.assertEqual(len(resolved), 1)
        self.assertEqual(resolved[0][1]["alerts"][0]["status"], "resolved")
        self.assertEqual(resolved[0][1]["alerts"][0]["labels"], am_labels)
        self.assertAlmostEqual(metric(d, "outcomes_goal_value", provider=SHORT),
                               (enrolled + needed) / sample, places=12)
        self.assertGreaterEqual((enrolled + needed) / sample, TARGET)
        [r] = alerts_api(d)
        self.assertEqual(r["labels"], labels)
        self.assertEqual(r["state"], "resolved")
        self.assertEqual(r["firingSince"], a["firingSince"])
        self.assertEqual(parse_series(d.get("/metrics")[1], "outcomes_alerts"), [])
        self.assertEqual(len(notifications(self.webhook, "firing", **labels)), 2)
        # Alertmanager took the resolved alert (endsAt = resolve time).
        wait_until(lambda: am2.alerts() == [], 10, "no active alert in Alertmanager")

if __name__ == "__main__":
    unittest.main()
