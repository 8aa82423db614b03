"""E2E (issue 4, acceptance 3): outcomesd restarted (SIGTERM, same
--state.dir, same consumer group) while alerts are pending and firing.

Three goals judge the same shortfall (prov-001's enrollment rate):
  page    for: 0s   -> firing before the restart;
  ticket  for: 1h   -> pending before and after the restart;
  soon    for: FOR  -> pending at the restart, fires after it, FOR after it
                       first became pending (not FOR after the restart).
Checked: activeAt/firingSince identical across the restart; the firing
alert is not re-sent by the new process (outcomesd's own POSTs are tapped by
a second --alertmanager.url, and outcomes_notifier_sends_total); the webhook
behind a real Alertmanager gets exactly one firing notification per alert.
"""
import os
import shutil
import tempfile
import time
import unittest

from e2e_harness import (Alertmanager, make_broker, Recorder, alerts_api,
                         find_alert, metric, notifications, parse_series,
                         parse_time, simulate, start_daemon, tapped_alerts,
                         wait_until, write_rules)

CONTRACT = "e2e-restart"
PROGRAM = "workforce"
SHORT = "prov-001"
FOR = 30  # seconds, the "soon" goal's `for`
GROUP = "e2e-restart"

GOAL = """\
      - name: {name}
        alert: {alert}
        metric: enrollment_rate
        window: 30d
        min: 0.5
        min_sample: 20
        for: {for_}
        severity: {severity}
"""
RULES = f"""\
contracts:
  - id: {CONTRACT}
    program: {PROGRAM}
    providers: [prov-001, prov-002, prov-003]
    goals:
""" + GOAL.format(name="page", alert="EnrollmentRatePage", for_="0s",
                  severity="critical") \
    + GOAL.format(name="ticket", alert="EnrollmentRateTicket", for_="1h",
                  severity="warning") \
    + GOAL.format(name="soon", alert="EnrollmentRateSoon", for_=f"{FOR}s",
                  severity="warning")


def labels_of(goal, alert, severity):
    return {"alertname": alert, "contract": CONTRACT, "provider": SHORT,
            "program": PROGRAM, "goal": goal, "severity": severity}


PAGE = labels_of("page", "EnrollmentRatePage", "critical")
TICKET = labels_of("ticket", "EnrollmentRateTicket", "warning")
SOON = labels_of("soon", "EnrollmentRateSoon", "warning")


def state_of(alerts):
    """{alertname: (state, activeAt, firingSince)}."""
    return {a["labels"]["alertname"]: (a["state"], a["activeAt"], a["firingSince"])
            for a in alerts}


class RestartEndToEnd(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="e2e-restart-")
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)
        self.broker = make_broker(partitions=4)
        self.addCleanup(self.broker.close)
        self.webhook = Recorder()
        self.addCleanup(self.webhook.close)
        self.tap = Recorder()  # sees every POST /api/v2/alerts of outcomesd
        self.addCleanup(self.tap.close)

    def daemon(self, name):
        return start_daemon(self, self.broker.bootstrap, self.rules,
                            "--alert.resend_interval=5m", group=GROUP,
                            state_dir=self.state, name=name,
                            alertmanagers=[self.am.url, self.tap.url])

    def test_restart_keeps_timers_and_sends_no_duplicates(self):
        simulate(self.broker.bootstrap, self.work, providers=3, programs=1,
                 shortfall_providers=1, days=60, seed=5, rate=0)
        self.rules = write_rules(self.work + "/rules", RULES)
        self.state = self.work + "/state"
        self.am = Alertmanager(self.webhook.url)
        self.addCleanup(self.am.close)

        d1 = self.daemon("outcomesd1")
        wait_until(lambda: state_of(alerts_api(d1)).keys()
                   == {"EnrollmentRatePage", "EnrollmentRateTicket",
                       "EnrollmentRateSoon"}, 60, "three alert instances")
        before = alerts_api(d1)
        s = state_of(before)
        self.assertEqual(s["EnrollmentRatePage"][0], "firing")
        self.assertEqual(s["EnrollmentRateTicket"][0], "pending")
        self.assertEqual(s["EnrollmentRateSoon"][0], "pending")
        self.assertEqual(s["EnrollmentRateTicket"][2], "")
        # All three became pending in the same (first) evaluation.
        self.assertEqual(len({v[1] for v in s.values()}), 1, s)
        pending_since = parse_time(s["EnrollmentRateSoon"][1]).timestamp()
        wait_until(lambda: notifications(self.webhook, "firing", **PAGE), 30,
                   "the page alert at the webhook")
        wait_until(lambda: metric(d1, "outcomes_notifier_sends_total") == 2, 10,
                   "one batch delivered to each of the two URLs")
        self.assertEqual([a["labels"] for _, a in tapped_alerts(self.tap)], [PAGE])
        self.assertEqual(
            sorted((l["alertname"], l["alertstate"]) for l, v in
                   parse_series(d1.get("/metrics")[1], "outcomes_alerts")),
            [("EnrollmentRatePage", "firing"), ("EnrollmentRateSoon", "pending"),
             ("EnrollmentRateTicket", "pending")])

        # Restart while `soon` and `ticket` are pending and `page` fires.
        self.assertEqual(d1.terminate(timeout=10), 0, d1.log_text()[-2000:])
        stopped_at = time.time()
        self.assertLess(stopped_at - pending_since, FOR - 10,
                        "too slow: the restart must happen while `soon` is pending")
        self.assertTrue(os.path.exists(self.state + "/alerts.snapshot"))
        d2 = self.daemon("outcomesd2")
        # Restored at start, before the daemon has caught up.
        self.assertEqual(alerts_api(d2), before)
        wait_until(d2.ready, 60, "second daemon ready")
        ready_at = time.time()
        self.assertLess(ready_at, pending_since + FOR,
                        "the second daemon became ready after `soon` was due")
        # Goals judged by the new process (the gauges are set by evaluations
        # of a ready daemon only): the timers are still the old ones.
        wait_until(lambda: parse_series(d2.get("/metrics")[1],
                                        "outcomes_goal_value"), 10,
                   "the first evaluation after the restart")
        self.assertEqual(state_of(alerts_api(d2)), s)

        # `soon` fires FOR after it first became pending, not after the restart.
        fired = wait_until(
            lambda: (lambda a: a if a and a["state"] == "firing" else None)(
                find_alert(alerts_api(d2), alertname="EnrollmentRateSoon")),
            FOR + 30, "`soon` to fire")
        fired_at = parse_time(fired["firingSince"]).timestamp()
        self.assertEqual(fired["activeAt"], s["EnrollmentRateSoon"][1])
        self.assertGreaterEqual(fired_at - pending_since, FOR)
        self.assertLess(fired_at - pending_since, FOR + 5, fired)  # eval 1s
        # A timer restarted by the restart could not fire before this:
        self.assertLess(fired_at, stopped_at + FOR)
        wait_until(lambda: notifications(self.webhook, "firing", **SOON), 30,
                   "the soon alert at the webhook")
        wait_until(lambda: metric(d2, "outcomes_notifier_sends_total") == 2, 10,
                   "the soon batch delivered to both URLs")

        # Nothing else changed: identical timers, no re-send of `page`.
        final = state_of(alerts_api(d2))
        self.assertEqual(final["EnrollmentRatePage"], s["EnrollmentRatePage"])
        self.assertEqual(final["EnrollmentRateTicket"], s["EnrollmentRateTicket"])
        self.assertEqual(final["EnrollmentRateSoon"],
                         ("firing", s["EnrollmentRateSoon"][1], fired["firingSince"]))
        self.assertEqual([a["labels"] for _, a in tapped_alerts(self.tap, stopped_at)],
                         [SOON])
        self.assertEqual(metric(d2, "outcomes_notifier_sends_total"), 2)
        self.assertEqual(metric(d2, "outcomes_notifier_failures_total"), 0)
        self.assertEqual(len(notifications(self.webhook, "firing", **PAGE)), 1)
        self.assertEqual(len(notifications(self.webhook, "firing", **SOON)), 1)
        self.assertEqual(len(notifications(self.webhook, **TICKET)), 0)
        self.assertEqual(len(self.webhook.posts()), 2, self.webhook.posts())
        self.assertEqual(sorted(tuple(sorted(a["labels"].items()))
                                for a in self.am.alerts()),
                         sorted(tuple(sorted(x.items())) for x in (PAGE, SOON)))
        print(f"restart: stopped {stopped_at - pending_since:.1f}s after "
              f"pending began, ready {ready_at - stopped_at:.1f}s later; `soon` "
              f"fired {fired_at - pending_since:.1f}s after pending began",
              flush=True)


if __name__ == "__main__":
    unittest.main()
