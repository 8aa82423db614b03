"""E2E (issue 7): Alertmanager down while an alert fires and then resolves.

The alert fires while neither Alertmanager nor the tap (a second
--alertmanager.url that records what outcomesd sends) is reachable; it
resolves (the goal is removed by a rules reload) while they are still down;
then both come back. Before the fix, the queued "firing" was delivered first
-- a false page for an alert that had already resolved -- and "resolved"
after it. Expected: only the newest state is delivered: the tap receives the
alert only as resolved (endsAt = its resolve time), and Alertmanager's
webhook never gets a firing notification for it.

Run: OUTCOMES_BUILD_DIR=build python3 -u tests/e2e/test_notifier_outage.py
"""
import http.server
import json
import shutil
import tempfile
import threading
import time
import unittest
import urllib.request

from e2e_harness import (Alertmanager, make_broker, Recorder, alerts_api, free_port,
                         metric, notifications, parse_time, simulate,
                         start_daemon, wait_until, write_rules)
from test_alerts import ALERT, RULES, SHORT

# The same contract with a goal that never falls short instead of the one
# that fires: reloading it resolves the alert.
RESOLVED_RULES = RULES.replace("min: 0.5", "min: 0.0").replace(
    "name: enrollment-rate", "name: enrollment-floor").replace(
    f"alert: {ALERT}", "alert: EnrollmentFloor")


class FlakyRecorder:
    """Answers 503 while `down`, else 200 and records (t, path, body)."""

    def __init__(self):
        self.down = True
        self._lock = threading.Lock()
        self._posts = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if outer.down:
                    self.send_response(503)
                else:
                    with outer._lock:
                        outer._posts.append((time.time(), self.path,
                                             json.loads(body)))
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def posts(self):
        with self._lock:
            return list(self._posts)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def reload(daemon):
    req = urllib.request.Request(f"http://127.0.0.1:{daemon.port}/-/reload",
                                 method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status


class NotifierOutage(unittest.TestCase):
    def test_resolved_during_outage_is_not_delivered_as_firing(self):
        work = tempfile.mkdtemp(prefix="e2e-outage-")
        self.addCleanup(shutil.rmtree, work, ignore_errors=True)
        broker = make_broker(partitions=4)
        self.addCleanup(broker.close)
        webhook = Recorder()
        self.addCleanup(webhook.close)
        tap = FlakyRecorder()
        self.addCleanup(tap.close)
        simulate(broker.bootstrap, work, providers=3, programs=1,
                 shortfall_providers=1, days=60, seed=7, rate=0)
        rules = write_rules(work + "/rules", RULES)
        am_port = free_port()  # nothing listens yet: Alertmanager is down
        d = start_daemon(self, broker.bootstrap, rules,
                         "--alert.resend_interval=2s", group="outage",
                         alertmanagers=[f"http://127.0.0.1:{am_port}", tap.url])
        wait_until(lambda: [a for a in alerts_api(d)
                            if a["labels"]["alertname"] == ALERT
                            and a["state"] == "firing"], 60, "the alert fires")
        wait_until(lambda: metric(d, "outcomes_notifier_failures_total") >= 4,
                   20, "failed deliveries to both URLs")

        write_rules(work + "/rules", RESOLVED_RULES)
        self.assertEqual(reload(d), 200)
        resolved = wait_until(
            lambda: [a for a in alerts_api(d)
                     if a["labels"]["alertname"] == ALERT
                     and a["state"] == "resolved"], 20, "the alert resolves")[0]
        resolved_at = parse_time(resolved["resolvedAt"])

        am = Alertmanager(webhook.url, port=am_port)
        self.addCleanup(am.close)
        tap.down = False
        wait_until(lambda: [a for _, _, b in tap.posts() for a in b
                            if a["labels"]["alertname"] == ALERT], 40,
                   "the alert delivered after the outage")
        time.sleep(5)  # room for a stale firing to arrive (resend: 2s)
        sent = [(a["startsAt"], parse_time(a["endsAt"]))
                for _, _, b in tap.posts() for a in b
                if a["labels"]["alertname"] == ALERT]
        self.assertTrue(sent)
        for starts_at, ends_at in sent:  # resolved only: endsAt = resolve time
            self.assertEqual(ends_at, resolved_at, sent)
        self.assertEqual(notifications(webhook, "firing", provider=SHORT), [])
        print(f"outage: {len(sent)} deliveries of the alert after recovery, "
              f"all resolved", flush=True)


if __name__ == "__main__":
    unittest.main()
