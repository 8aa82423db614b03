"""E2E (issue 7, docs/design.md, "State through restarts, rebalances and faults" "alert state moves with the partition"): the
pod and its volume are lost. outcomesd #1 (its own --state.dir) has a firing
alert (`page`, for: 0s) and two pending ones (`soon`, for: FOR; `ticket`,
for: 1h); it is stopped (SIGTERM: on revocation it writes its alerts' final
state to the outcomes.state topic) and outcomesd #2 starts in the same group
with an *empty* --state.dir. Before the state topic, #2 restarted every
timer from the moment it got the partitions (`soon` fired FOR after the
takeover) and sent `page` again as new. Expected: #2 reads the state topic
before judging; identical activeAt/firingSince, `soon` fires FOR after it
first became pending, `page` is not re-sent.

Run: OUTCOMES_BUILD_DIR=build python3 -u tests/e2e/test_state_topic.py
"""
import shutil
import tempfile
import time
import unittest

from e2e_harness import (Alertmanager, make_broker, Recorder, alerts_api,
                         find_alert, metric, notifications, parse_series,
                         parse_time, simulate, start_daemon, tapped_alerts,
                         wait_until, write_rules)
from test_restart import FOR, PAGE, RULES, SOON, TICKET, state_of

GROUP = "e2e-state-topic"


class StateTopicEndToEnd(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="e2e-state-topic-")
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)
        self.broker = make_broker(partitions=4)
        self.addCleanup(self.broker.close)
        self.webhook = Recorder()
        self.addCleanup(self.webhook.close)
        self.tap = Recorder()  # sees every POST /api/v2/alerts of outcomesd
        self.addCleanup(self.tap.close)

    def daemon(self, name, state):
        return start_daemon(self, self.broker.bootstrap, self.rules,
                            "--alert.resend_interval=5m", group=GROUP,
                            state_dir=state, name=name,
                            alertmanagers=[self.am.url, self.tap.url])

    def test_new_pod_without_volume_continues_timers(self):
        simulate(self.broker.bootstrap, self.work, providers=3, programs=1,
                 shortfall_providers=1, days=60, seed=5, rate=0)
        self.rules = write_rules(self.work + "/rules", RULES)
        self.am = Alertmanager(self.webhook.url)
        self.addCleanup(self.am.close)

        d1 = self.daemon("outcomesd1", self.work + "/state1")
        wait_until(lambda: state_of(alerts_api(d1)).keys()
                   == {"EnrollmentRatePage", "EnrollmentRateTicket",
                       "EnrollmentRateSoon"}, 60, "three alert instances")
        s = state_of(alerts_api(d1))
        self.assertEqual(s["EnrollmentRatePage"][0], "firing")
        self.assertEqual(s["EnrollmentRateSoon"][0], "pending")
        pending_since = parse_time(s["EnrollmentRateSoon"][1]).timestamp()
        wait_until(lambda: notifications(self.webhook, "firing", **PAGE), 30,
                   "the page alert at the webhook")

        self.assertEqual(d1.terminate(timeout=10), 0, d1.log_text()[-2000:])
        stopped_at = time.time()
        self.assertLess(stopped_at - pending_since, FOR - 10,
                        "too slow: the takeover must happen while `soon` is pending")
        self.assertIn("alert state of revoked partitions written", d1.log_text())
        d2 = self.daemon("outcomesd2", self.work + "/state2")  # empty volume
        wait_until(d2.ready, 60, "second daemon ready")
        wait_until(lambda: parse_series(d2.get("/metrics")[1],
                                        "outcomes_goal_value"), 10,
                   "the first evaluation of the new owner")
        self.assertEqual(state_of(alerts_api(d2)), s)

        fired = wait_until(
            lambda: (lambda a: a if a and a["state"] == "firing" else None)(
                find_alert(alerts_api(d2), alertname="EnrollmentRateSoon")),
            FOR + 30, "`soon` to fire")
        fired_at = parse_time(fired["firingSince"]).timestamp()
        self.assertEqual(fired["activeAt"], s["EnrollmentRateSoon"][1])
        self.assertLess(fired_at - pending_since, FOR + 5, fired)
        self.assertLess(fired_at, stopped_at + FOR)  # not restarted by #2
        wait_until(lambda: notifications(self.webhook, "firing", **SOON), 30,
                   "the soon alert at the webhook")
        final = state_of(alerts_api(d2))
        self.assertEqual(final["EnrollmentRatePage"], s["EnrollmentRatePage"])
        self.assertEqual(final["EnrollmentRateTicket"], s["EnrollmentRateTicket"])
        # #2 sent only `soon`: `page` was sent by #1 within the resend interval.
        self.assertEqual([a["labels"] for _, a in tapped_alerts(self.tap, stopped_at)],
                         [SOON])
        self.assertEqual(len(notifications(self.webhook, "firing", **PAGE)), 1)
        self.assertEqual(len(notifications(self.webhook, **TICKET)), 0)
        self.assertEqual(metric(d2, "outcomes_alert_state_write_failures_total"), 0)
        print(f"state topic: stopped {stopped_at - pending_since:.1f}s after "
              f"pending began; `soon` fired {fired_at - pending_since:.1f}s "
              f"after pending began", flush=True)


if __name__ == "__main__":
    unittest.main()
