"""E2E fault test (issue 7): Alertmanager down for two minutes while alerts
fire and resolve.

prov-001's enrollment-rate alert fires and reaches the webhook. Alertmanager
is SIGKILLed. While it is down, prov-001 recovers (late enrollments arrive)
and a new provider, prov-new, falls short (25 matured referrals, none
enrolled). Two minutes later Alertmanager comes back on the same port and
storage. Every state change must arrive and none stale:

- prov-001: what outcomesd delivers after the outage is "resolved" only (a
  queued firing of an alert that has since resolved is a false page), and
  the webhook gets no firing of it;
- prov-new: a "firing" notification at the webhook;
- Alertmanager ends with exactly prov-new's alert active.
A tap (a second --alertmanager.url, answering 503 while Alertmanager is
down) records what outcomesd delivers. (The webhook cannot show prov-001's
"resolved": Alertmanager 0.25 keeps no alerts across a restart and its
notification log only in a snapshot written every 15 minutes, so after a
SIGKILL it does not know it ever notified that alert firing.)

Run: OUTCOMES_BUILD_DIR=build python3 -u tests/e2e/test_alertmanager_outage.py
"""
import math
import shutil
import tempfile
import time
import unittest

from e2e_harness import (Alertmanager, make_broker, Funnel, Recorder, alerts_api,
                         event_json_to_dict, metric, notifications,
                         parse_time, produce, simulate, start_daemon,
                         tapped_alerts, today, wait_until, write_rules)

PROGRAM = "workforce"
SHORT = "prov-001"
NEW = "prov-new"
OUTAGE_SECONDS = 120
RULES = """\
contracts:
  - id: outage-workforce
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
"""


class AlertmanagerOutage(unittest.TestCase):
    def test_every_change_arrives_and_none_stale(self):
        work = tempfile.mkdtemp(prefix="e2e-am-outage-")
        self.addCleanup(shutil.rmtree, work, ignore_errors=True)
        broker = make_broker(partitions=4)
        self.addCleanup(broker.close)
        hook = Recorder()
        self.addCleanup(hook.close)
        tap = Recorder()
        self.addCleanup(tap.close)
        events = simulate(broker.bootstrap, work, providers=3, programs=1,
                          shortfall_providers=1, days=60, seed=11, rate=0)
        rules = write_rules(work + "/rules", RULES)
        am = Alertmanager(hook.url, storage=work + "/am-data")
        self.addCleanup(am.close)
        d = start_daemon(self, broker.bootstrap, rules,
                         "--alert.resend_interval=2s", group="am-outage",
                         state_dir=work + "/state",
                         alertmanagers=[am.url, tap.url])
        wait_until(lambda: notifications(hook, "firing", provider=SHORT), 60,
                   "prov-001 firing at the webhook")

        am.kill()
        tap.status = 503
        down_at = time.monotonic()
        wait_until(lambda: metric(d, "outcomes_notifier_failures_total") >= 1,
                   30, "a failed send")
        # prov-001 recovers: enrollments within 14 days of its referrals.
        on = today()
        f = Funnel(events, SHORT, PROGRAM)
        enrolled, sample = f.enrollment_rate(30, on)
        missing = [r for r in f.window_referrals(30, on)
                   if not f.in_time(r[0], r[1])]
        needed = math.ceil(0.5 * sample) - enrolled
        late = []
        for i, (_, _, _, ev) in enumerate(missing[:needed]):
            t = parse_time(ev["occurredAt"]).timestamp() + 86400
            late.append(event_json_to_dict(ev, event_id=f"outage-enroll-{i}",
                                           type="enrollment", occurred_at=t))
        # prov-new falls short: 25 referrals 20 days old, never enrolled.
        t = time.time() - 20 * 86400
        late += [{"event_id": f"outage-new-{i}", "type": "referral",
                  "occurred_at": t, "provider_id": NEW, "program_id": PROGRAM,
                  "client_key": f"outage-client-{i}"} for i in range(25)]
        produce(broker.bootstrap, late)

        def states():
            return {a["labels"]["provider"]: a["state"] for a in alerts_api(d)}
        wait_until(lambda: states().get(SHORT) == "resolved"
                   and states().get(NEW) == "firing", 60,
                   "prov-001 resolved and prov-new firing inside outcomesd")
        # The rest of the two minutes: outcomesd keeps retrying, stays up.
        while time.monotonic() - down_at < OUTAGE_SECONDS:
            self.assertTrue(d.healthy())
            time.sleep(1)
        self.assertGreater(metric(d, "outcomes_notifier_failures_total"), 3)

        restart = time.time()
        am2 = Alertmanager(hook.url, port=am.port, storage=work + "/am-data",
                           name="alertmanager2")
        self.addCleanup(am2.close)
        tap.status = 200
        wait_until(lambda: notifications(hook, "firing", since=restart,
                                         provider=NEW), 60,
                   "prov-new firing at the webhook")
        def delivered(provider):
            return [(t, a) for t, a in tapped_alerts(tap, since=restart)
                    if a["labels"]["provider"] == provider]
        wait_until(lambda: delivered(SHORT), 60, "prov-001 delivered again")
        for t, a in delivered(SHORT):  # resolved: endsAt not in the future
            self.assertLessEqual(parse_time(a["endsAt"]).timestamp(), t + 1,
                                 f"prov-001 delivered as firing: {a}")
        wait_until(lambda: delivered(NEW), 60, "prov-new delivered")
        wait_until(lambda: [a["labels"]["provider"] for a in am2.alerts()]
                   == [NEW], 30, "only prov-new active in Alertmanager")
        stale = [b for _, b in notifications(hook, "firing", since=restart,
                                             provider=SHORT)
                 if any(a["labels"]["provider"] == SHORT
                        and a["status"] == "firing" for a in b["alerts"])]
        self.assertEqual(stale, [], "a stale firing of prov-001 was delivered")


if __name__ == "__main__":
    unittest.main()
