"""Integration (issue 10, outcome payments; docs/design.md, "Brief, payments and backtest"): events through
Kafka into outcomesd, then GET /api/v1/payments and the
outcomes_payment_units / outcomes_payment_earned gauges, with amounts
computed by hand; the same after a restart from the checkpoint; an unknown
contract is a 404 with the reason; no client key in any answer.
"""
import calendar
import json
import os
import shutil
import tempfile
import time
import unittest

from harness import (Daemon, encode_event, kcat_produce_files, make_broker,
                     wait_until)

RULES = """
contracts:
  - id: it-pay
    program: workforce
    payments:
      period: month
      amount: 1000
      components:
        - name: served
          share: 0.5
          target: 6
          count: {type: enrollment}
        - name: placed
          price: 100
          priority_premium: 0.5
          cap: 250
          count: {type: outcome, outcome_code: job_placement}
"""


def previous_month_noon(now):
    """Noon UTC two days before the first of this month."""
    t = time.gmtime(now)
    first = calendar.timegm((t.tm_year, t.tm_mon, 1, 12, 0, 0))
    return first - 2 * 86400


class PaymentsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="payments-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.rules = os.path.join(cls.tmp, "pay.yaml")
        with open(cls.rules, "w") as f:
            f.write(RULES)
        cls.state = os.path.join(cls.tmp, "state")
        cls.broker = make_broker(partitions=1)
        cls.addClassCleanup(cls.broker.close)
        now = int(time.time()) - 60
        if time.gmtime(now).tm_mday == 1 and time.gmtime(now).tm_hour == 0:
            now += 3600  # keep "today" inside this month's first day
        before = previous_month_noon(now)
        events = []

        def add(kind, client, at, **extra):
            events.append(encode_event(dict(
                event_id=f"e{len(events)}", type=kind, occurred_at=at,
                provider_id="acme", program_id="workforce",
                client_key=f"secret-client-{client}", **extra)))
        for client in ("a", "b", "c", "a"):  # a twice: one client unit
            add("enrollment", client, now)
        add("outcome", "a", now, outcome_code="job_placement",
            outcome_value=20.0, priority_groups=["disability"])
        add("outcome", "x", now, outcome_code="credential")
        for client in ("d", "e", "f"):
            add("outcome", client, before, outcome_code="job_placement")
        kcat_produce_files(cls.broker.bootstrap, "outcomes.events", "acme",
                           events)

    def start(self):
        d = Daemon(self.broker.bootstrap, f"--rules={self.rules}",
                   f"--state.dir={self.state}", group="payments")
        wait_until(d.ready, 60, "outcomesd ready")
        return d

    def payments(self, d):
        def settled():
            body = d.json("/api/v1/payments?contract=it-pay")
            providers = body["contracts"][0]["providers"]
            if not providers:
                return None
            served = providers[0]["components"][0]["current"]["units"]
            placed = providers[0]["components"][1]["previous"]["units"]
            return body if (served, placed) == (3, 3) else None
        return wait_until(settled, 30, "payments of every event")

    def check(self, d):
        body = self.payments(d)
        c = body["contracts"][0]
        self.assertEqual((c["contract"], c["program"], c["period"],
                          c["amount"]), ("it-pay", "workforce", "month", 1000))
        acme = c["providers"][0]
        self.assertEqual(acme["provider"], "acme")
        served, placed = acme["components"]
        self.assertEqual((served["component"], served["unit"]),
                         ("served", "client"))
        # 0.5 x 1000 x 3/6.
        self.assertEqual(served["current"]["units"], 3)
        self.assertEqual(served["current"]["earned"], 250)
        self.assertEqual(served["current"]["maximum"], 500)
        self.assertEqual(served["previous"]["units"], 0)
        self.assertNotIn("projected_units", served["previous"])
        t = time.gmtime()
        days = calendar.monthrange(t.tm_year, t.tm_mon)[1]
        self.assertAlmostEqual(served["current"]["projected_units"],
                               3 / t.tm_mday * days, places=6)
        self.assertEqual(served["current"]["start"],
                         time.strftime("%Y-%m-01", t))
        # One priority placement: 100 x 1.5; previous month 3 x 100, cap 250.
        self.assertEqual(placed["current"]["units"], 1)
        self.assertEqual(placed["current"]["earned"], 150)
        self.assertEqual(placed["previous"]["earned"], 250)
        self.assertEqual(placed["previous"]["maximum"], 250)
        samples = d.metrics()
        labels = ('{component="placed",contract="it-pay",period="previous",'
                  'program="workforce",provider="acme"}')
        self.assertEqual(samples["outcomes_payment_units" + labels], 3)
        self.assertEqual(samples["outcomes_payment_earned" + labels], 250)
        everything = json.dumps(body) + d.get("/metrics")[1]
        self.assertNotIn("secret-client", everything)

    def test_payments_api_metrics_and_restart(self):
        d = self.start()
        try:
            self.check(d)
            self.assertEqual(
                d.json("/api/v1/payments")["contracts"][0]["contract"],
                "it-pay")
            status, body = d.get("/api/v1/payments?contract=nope")
            self.assertEqual(status, 404)
            self.assertEqual(json.loads(body),
                             {"error": "unknown contract nope"})
        finally:
            d.close()
        # Restart: the checkpoint (format v3) carries the payment marks.
        d = self.start()
        try:
            self.check(d)
        finally:
            d.close()


if __name__ == "__main__":
    unittest.main()
