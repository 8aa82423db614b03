"""E2E: a consumer-group rebalance must not make a firing alert resolve and
fire again (it used to, before alerts of providers not held were parked).

outcomesd #1 owns every partition and fires prov-001's alert. outcomesd #2
joins the same group (scale-out). The eager rebalance revokes all of #1's
partitions; #1 reports "caught up: ready" with no partition assigned, judges
the goals on empty figures, and resolves the alert (webhook: "resolved");
when its partitions come back and are replayed, a new instance fires (second
"firing" with a new startsAt) -- although prov-001 stayed with #1 and its
figures never changed. Expected: no notification at all during a rebalance.
Fixed by: not ready between revocation and the next assignment, and alert
instances of providers whose figures this process does not hold are parked
(not judged, not notified) instead of resolved.

Run: OUTCOMES_BUILD_DIR=build python3 -u tests/e2e/test_rebalance.py
"""
import shutil
import tempfile
import unittest

from e2e_harness import (Alertmanager, make_broker, Recorder, notifications,
                         simulate, start_daemon, wait_until, write_rules)
from test_alerts import RULES, SHORT


class RebalanceDoesNotFlap(unittest.TestCase):
    def test_scale_out_sends_no_resolved_and_no_second_firing(self):
        work = tempfile.mkdtemp(prefix="e2e-rebalance-")
        self.addCleanup(shutil.rmtree, work, ignore_errors=True)
        broker = make_broker(partitions=4)
        self.addCleanup(broker.close)
        hook = Recorder()
        self.addCleanup(hook.close)
        simulate(broker.bootstrap, work, providers=3, programs=1,
                 shortfall_providers=1, days=60, seed=11, rate=0)
        rules = write_rules(work + "/rules", RULES)
        am = Alertmanager(hook.url)
        self.addCleanup(am.close)
        d1 = start_daemon(self, broker.bootstrap, rules, group="rebalance",
                          state_dir=work + "/s1", alertmanagers=[am.url],
                          name="outcomesd1")
        wait_until(lambda: notifications(hook, "firing", provider=SHORT), 60,
                   "firing notification")
        d2 = start_daemon(self, broker.bootstrap, rules, group="rebalance",
                          state_dir=work + "/s2", alertmanagers=[am.url],
                          name="outcomesd2")
        wait_until(d2.ready, 60, "second daemon ready")
        # Both own partitions again and have evaluated since.
        wait_until(lambda: d1.ready() and "partition assigned" in
                   d1.log_text().split("partition revoked")[-1], 30,
                   "first daemon re-assigned")
        try:  # 10 s in which a wrong notification would arrive
            wait_until(lambda: len(hook.posts()) > 1, 10, "a 2nd notification")
        except TimeoutError:
            pass
        self.assertEqual([(b["status"], b["alerts"][0]["startsAt"])
                          for _, _, b in hook.posts()],
                         [("firing", hook.posts()[0][2]["alerts"][0]["startsAt"])])


if __name__ == "__main__":
    unittest.main()
