"""E2E (issue 9): outcomesd -> Alertmanager 0.25 over TLS with basic auth.

Alertmanager serves only HTTPS (--web.config.file: a self-signed certificate
made here with openssl, for localhost and 127.0.0.1) and requires basic auth
(basic_auth_users, a bcrypt hash made with htpasswd from apache2-utils).

  1. outcomesd with --alertmanager.tls_ca_file, --alertmanager.basic_auth_*
     and --alertmanager.http_headers: the shortfall alert reaches the
     webhook through TLS + auth; a plain-HTTP tap (a second URL) shows the
     Authorization and custom headers sent; no failure is counted.
  2. a second outcomesd with the credentials in the URLs instead: the right
     password delivers, a wrong one (401) is counted in
     outcomes_notifier_failures_total for that Alertmanager, whose label
     (and the log) hold no password.

The transport does not depend on the Kafka backend: one run, on the mock
broker (outcomes-broker).

Run: OUTCOMES_BUILD_DIR=build python3 -u tests/e2e/test_alertmanager_tls.py
"""
import base64
import os
import shutil
import ssl
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

from e2e_harness import (Alertmanager, Broker, Recorder, metric, notifications,
                         simulate, start_daemon, wait_until, write_rules)
from test_alerts import ALERT, RULES, SHORT

USER = "outcomes"
PASSWORD = "correct horse"
WRONG = "battery-staple"


def make_certificate(directory):
    """A self-signed certificate and key (PEM) for localhost and 127.0.0.1."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def bcrypt_hash(password):
    """htpasswd (apache2-utils, installed by scripts/setup) -B: bcrypt."""
    htpasswd = shutil.which("htpasswd")
    if not htpasswd:
        raise RuntimeError("htpasswd not found: run scripts/setup (apache2-utils)")
    out = subprocess.run([htpasswd, "-nbBC", "10", USER, password], check=True,
                         capture_output=True, timeout=60).stdout.decode()
    return out.strip().split(":", 1)[1]


class AlertmanagerTlsEndToEnd(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="e2e-am-tls-")
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)
        self.broker = Broker(partitions=4)
        self.addCleanup(self.broker.close)
        self.webhook = Recorder()
        self.addCleanup(self.webhook.close)

    def write(self, name, text):
        path = os.path.join(self.work, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_alert_arrives_through_tls_and_basic_auth(self):
        cert, key = make_certificate(self.work)
        web_config = (f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n"
                      f"basic_auth_users:\n  {USER}: '{bcrypt_hash(PASSWORD)}'\n")
        auth = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        context = ssl.create_default_context(cafile=cert)
        am = Alertmanager(self.webhook.url, web_config=web_config,
                          client=(context, {"Authorization": auth}))
        self.addCleanup(am.close)
        # Without the password, Alertmanager refuses: the auth is real.
        with self.assertRaises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(am.url + "/api/v2/alerts", timeout=5,
                                   context=context)
        self.assertEqual(refused.exception.code, 401)

        simulate(self.broker.bootstrap, self.work, providers=3, programs=1,
                 shortfall_providers=1, days=60, seed=11, rate=0)
        rules = write_rules(self.work + "/rules", RULES)
        tap = Recorder()
        self.addCleanup(tap.close)

        # 1. Credentials and headers from flags.
        d = start_daemon(self, self.broker.bootstrap, rules,
                         "--alert.resend_interval=2s",
                         f"--alertmanager.tls_ca_file={cert}",
                         f"--alertmanager.basic_auth_username={USER}",
                         "--alertmanager.basic_auth_password_file="
                         + self.write("password", PASSWORD + "\n"),
                         "--alertmanager.http_headers=X-Scope-OrgID=care,X-Team=ops",
                         group="am-tls", alertmanagers=[am.url, tap.url])
        wait_until(lambda: notifications(self.webhook, "firing", alertname=ALERT,
                                         provider=SHORT),
                   90, "firing notification through TLS + basic auth")
        self.assertGreaterEqual(
            metric(d, "outcomes_notifier_sends_total", alertmanager=am.url), 1)
        self.assertEqual(
            metric(d, "outcomes_notifier_failures_total", alertmanager=am.url), 0)
        sent = wait_until(tap.headers, 30, "a POST at the plain-HTTP tap")[0]
        self.assertEqual(sent.get("Authorization"), auth)
        self.assertEqual((sent.get("X-Scope-OrgID"), sent.get("X-Team")),
                         ("care", "ops"))
        self.assertEqual(sent.get("Content-Type"), "application/json")

        # 2. Credentials in the URLs: the right one delivers, a wrong one is
        # a counted failure, and neither password is shown.
        good = f"https://{USER}:{PASSWORD.replace(' ', '%20')}@localhost:{am.port}"
        bad = f"https://{USER}:{WRONG}@127.0.0.1:{am.port}"
        bad_shown = f"https://127.0.0.1:{am.port}"
        d2 = start_daemon(self, self.broker.bootstrap, rules,
                          "--alert.resend_interval=2s",
                          f"--alertmanager.tls_ca_file={cert}",
                          group="am-tls-2", name="outcomesd-2",
                          alertmanagers=[good, bad])
        wait_until(lambda: metric(d2, "outcomes_notifier_failures_total",
                                  alertmanager=bad_shown) >= 2,
                   90, "failures counted for the wrong password")
        wait_until(lambda: metric(d2, "outcomes_notifier_sends_total",
                                  alertmanager=am.url) >= 1,
                   30, "a send with the right password in the URL")
        self.assertEqual(
            metric(d2, "outcomes_notifier_failures_total", alertmanager=am.url), 0)
        text = d2.get("/metrics")[1] + d2.log_text() + d.log_text()
        self.assertIn("HTTP 401", d2.log_text())
        for secret in (WRONG, "correct", PASSWORD.replace(" ", "%20")):
            self.assertNotIn(secret, text)


if __name__ == "__main__":
    unittest.main()
