"""Integration: the HTTP server is safe to expose (docs/design.md, "Safe to expose"). Hundreds
of idle and slow connections do not stall /healthz; a slow client is cut at
--http.request_timeout; a --listen port in use is fatal; POST /-/reload needs
the bearer token (or, without a token file, a loopback client), refuses
cross-site browser requests, and GET changes nothing.

Latency figures (max, p99 under this load) come from scripts/bench
(tests/bench/http_bench.py); here each probe must simply be answered, where
cpp-httplib's eight-thread pool failed every one."""
import os
import socket
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

from harness import Broker, Daemon, binary, parse_metrics, wait_until
import http_abuse

TOKEN = "7f3c1a9e-outcomes-admin-token"


def request(port, method, path, headers=None, data=None, host="127.0.0.1"):
    req = urllib.request.Request(f"http://{host}:{port}{path}", method=method,
                                 headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def non_loopback_address():
    """An address of this machine other than loopback, or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent
            addr = s.getsockname()[0]
        except OSError:
            return None
    return None if addr.startswith("127.") else addr


class HttpSafetyTest(unittest.TestCase):
    def setUp(self):
        self.broker = Broker(partitions=2)
        self.addCleanup(self.broker.close)

    def daemon(self, *extra):
        rules = os.path.join(os.path.dirname(__file__), "..", "..", "deploy",
                             "base", "rules")
        d = Daemon(self.broker.bootstrap, f"--rules={rules}", *extra)
        self.addCleanup(d.close)
        return d

    def test_probes_answered_under_idle_and_slow_connections(self):
        d = self.daemon("--http.request_timeout=5s")
        idle = http_abuse.open_idle(d.port, 300)
        self.addCleanup(lambda: [s.close() for s in idle])
        slow = http_abuse.SlowClients(d.port, 20, interval=0.5)
        self.addCleanup(slow.close)
        wait_until(lambda: parse_metrics(d.get("/metrics")[1]).get(
            "outcomes_http_connections", 0) >= 320, 20, "320 connections open")
        latencies = http_abuse.probe_healthz(d.port, 50, timeout=1.0)
        failed = latencies.count(None)
        self.assertEqual(failed, 0, f"{failed} of 50 probes failed")
        answered = [x for x in latencies if x is not None]
        print(f"/healthz under 300 idle + 20 slow: max "
              f"{max(answered) * 1000:.1f} ms, p99 "
              f"{http_abuse.percentile(answered, 0.99) * 1000:.1f} ms")
        # /metrics and the API (worker threads) answer too.
        self.assertEqual(d.get("/api/v1/providers")[0], 200)
        # The idle connections are cut at the deadline: nothing lingers.
        wait_until(lambda: parse_metrics(d.get("/metrics")[1])[
            "outcomes_http_timeouts_total"] >= 300, 30, "idle ones cut")
        self.assertLessEqual(d.metrics()["outcomes_http_connections"], 21)

    def test_port_in_use_is_fatal(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            proc = subprocess.run(
                [binary("outcomesd"), f"--kafka.brokers={self.broker.bootstrap}",
                 f"--listen=127.0.0.1:{port}"],
                capture_output=True, text=True, timeout=30)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(f"cannot listen on 127.0.0.1:{port}: bind: Address "
                      "already in use", proc.stderr)
        self.assertNotIn('"msg":"serving"', proc.stderr)

    def test_reload_needs_the_token(self):
        path = os.path.join(tempfile.mkdtemp(prefix="token-"), "token")
        with open(path, "w") as f:
            f.write(TOKEN + "\n")
        d = self.daemon(f"--http.admin_token_file={path}")
        self.assertEqual(request(d.port, "POST", "/-/reload")[0], 401)
        self.assertEqual(request(d.port, "POST", "/-/reload", {
            "Authorization": "Bearer not-the-token"})[0], 401)
        self.assertEqual(request(d.port, "POST", "/-/reload", {
            "Authorization": f"Bearer {TOKEN}"}),
            (200, '{"status":"reloaded"}'))
        # No state change through a GET, token or not.
        self.assertEqual(request(d.port, "GET", "/-/reload", {
            "Authorization": f"Bearer {TOKEN}"})[0], 405)
        # A cross-site form post (text/plain, the kind a web page can make
        # without a CORS preflight) is refused even if it guessed the token.
        self.assertEqual(request(d.port, "POST", "/-/reload", {
            "Origin": "https://evil.example", "Content-Type": "text/plain",
            "Authorization": f"Bearer {TOKEN}"}, data=b"x")[0], 403)
        m = d.metrics()
        # The load at start-up, and the one authorized reload.
        self.assertEqual(m['outcomes_rules_reloads_total{result="success"}'], 2)
        self.assertEqual(m['outcomes_http_requests_total{code="401"}'], 2)
        # Nothing of the token in the log.
        self.assertNotIn(TOKEN, d.log_text())

    def test_reload_without_token_is_loopback_only(self):
        d = self.daemon()
        self.assertEqual(request(d.port, "POST", "/-/reload")[0], 200)
        for headers in ({"Origin": "https://evil.example",
                         "Content-Type": "text/plain"},
                        {"Sec-Fetch-Site": "cross-site"},
                        {"Host": f"rebound.example:{d.port}"}):
            self.assertEqual(
                request(d.port, "POST", "/-/reload", headers, data=b"")[0],
                403, headers)
        self.assertEqual(d.metrics()[
            'outcomes_rules_reloads_total{result="success"}'], 2)

    def test_reload_from_another_host_is_refused(self):
        addr = non_loopback_address()
        if addr is None:
            self.skipTest("this machine has no non-loopback IPv4 address")
        d = Daemon(self.broker.bootstrap, "--kafka.group=remote")
        self.addCleanup(d.close)
        # Daemon listens on 127.0.0.1; start one on all addresses.
        port = d.port
        d.close()
        proc = subprocess.Popen(
            [binary("outcomesd"), f"--kafka.brokers={self.broker.bootstrap}",
             f"--listen=0.0.0.0:{port}"], stderr=subprocess.DEVNULL)
        self.addCleanup(proc.wait)
        self.addCleanup(proc.kill)
        wait_until(lambda: self._healthy(addr, port), 20, "outcomesd on 0.0.0.0")
        self.assertEqual(request(port, "POST", "/-/reload", host=addr)[0], 403)
        self.assertEqual(request(port, "POST", "/-/reload")[0], 200)

    @staticmethod
    def _healthy(host, port):
        try:
            return request(port, "GET", "/healthz", host=host)[0] == 200
        except OSError:
            return False


if __name__ == "__main__":
    unittest.main()
