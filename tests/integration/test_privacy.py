"""Integration: keyed client hashes (docs/design.md, "Safe to expose", issue 8 item 4).

Real processes on 127.0.0.1: a Kafka broker, outcomes-simulate and
outcomesd.

- A restart with another --privacy.key_file does not misread the
  checkpoints (their hashes were made with the old key): each is counted as
  outcomes_checkpoint_failures_total{reason="key_changed"}, the partitions
  are rebuilt from Kafka, and the figures are exactly those before (not
  doubled, not zero); the next restart with the same key uses the new
  checkpoints.
- The key file's content (and the key derived from it) never appears in
  logs, /metrics, the API or the checkpoints; neither does any client_key.
- Without the flag a warning says the hashes are not protected; a key file
  that is missing, empty or too short is a fatal start-up error.

Run: OUTCOMES_BUILD_DIR=build python3 -u tests/integration/test_privacy.py
"""
import glob
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import Daemon, binary, make_broker, metric_sum, wait_until

PARTITIONS = 4
SECRET_A = "privacy-test-key-A-6f1c0e8b2d7a4c95"
SECRET_B = "privacy-test-key-B-93d5a1f07e2b48c6"
DEFAULT_FINGERPRINT = "61fb06e358b26e95990e72082188cac0"  # client_hash_test


def fingerprint(secret):
    """What outcomesd logs and stores for a key file (client_hash.h)."""
    key = hashlib.blake2b(secret.encode(), digest_size=16,
                          person=b"outcomesd-ckey01").digest()
    fp = hashlib.blake2b(key, digest_size=16, person=b"outcomesd-kfpr01")
    return key, fp.hexdigest()


def simulate(bootstrap, out, **flags):
    args = [binary("outcomes-simulate"), f"--brokers={bootstrap}",
            f"--out={out}", *[f"--{k}={v}" for k, v in flags.items()]]
    r = subprocess.run(args, capture_output=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("outcomes-simulate failed:\n" + r.stderr.decode())
    with open(out) as f:
        return [json.loads(line) for line in f if line.strip()]


def providers(daemon):
    return daemon.json("/api/v1/providers")["providers"]


class Privacy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="it-privacy-")
        cls.broker = make_broker(partitions=PARTITIONS)
        cls.events = simulate(cls.broker.bootstrap,
                              os.path.join(cls.work, "events.jsonl"),
                              providers=12, referrals_per_day=8, days=40,
                              seed=11)
        cls.clients = sorted({e["clientKey"] for e in cls.events})
        cls.keys = {}
        for name, secret in (("a", SECRET_A), ("b", SECRET_B)):
            path = os.path.join(cls.work, f"key-{name}")
            with open(path, "w") as f:
                f.write(secret)
            cls.keys[name] = path

    @classmethod
    def tearDownClass(cls):
        cls.broker.close()
        shutil.rmtree(cls.work, ignore_errors=True)

    def setUp(self):
        self.state = tempfile.mkdtemp(prefix="state-", dir=self.work)
        self.daemons = []

    def daemon(self, group, key, name):
        extra = [f"--state.dir={self.state}"]
        if key:
            extra.append(f"--privacy.key_file={self.keys[key]}")
        d = Daemon(self.broker.bootstrap, *extra, group=group, name=name)
        self.addCleanup(d.close)
        self.daemons.append(d)
        return d

    def exported(self, d):
        """Everything a daemon shows: /metrics, the API, its log."""
        texts = [d.get("/metrics")[1], d.get("/api/v1/providers")[1],
                 d.get("/api/v1/alerts")[1], d.get("/api/v1/rules")[1]]
        for p in providers(d):
            texts.append(d.get(f"/api/v1/providers/{p['provider']}")[1])
        return "\n".join(texts)

    def assert_nothing_secret(self, texts, checkpoints):
        """No key file content, derived key or client_key in `texts` (str)
        or in the checkpoint files (bytes)."""
        blobs = []
        for path in checkpoints:
            with open(path, "rb") as f:
                blobs.append(f.read())
        self.assertGreater(len(self.clients), 1000)
        for secret in (SECRET_A, SECRET_B):
            key, _ = fingerprint(secret)
            self.assertNotIn(secret, texts)
            self.assertNotIn(key.hex(), texts)
            for blob in blobs:
                self.assertNotIn(secret.encode(), blob)
                self.assertNotIn(key, blob)
        for client in self.clients:
            self.assertNotIn(client, texts)
            for blob in blobs:
                self.assertNotIn(client.encode(), blob)

    def checkpoints(self):
        return sorted(glob.glob(os.path.join(self.state, "partitions", "*.ckpt")))

    def test_other_key_rebuilds_the_same_figures(self):
        d1 = self.daemon("keys", "a", "key-a")
        wait_until(d1.ready, 90, "first daemon ready")
        accepted = metric_sum(d1.metrics(), "outcomes_events_total")
        self.assertEqual(accepted, len(self.events))
        want = providers(d1)
        self.assertEqual(len(want), 12)
        seen = self.exported(d1)
        self.assertEqual(d1.terminate(), 0)
        self.assertEqual(len(self.checkpoints()), PARTITIONS)

        d2 = self.daemon("keys", "b", "key-b")
        wait_until(d2.ready, 90, "daemon with key B ready")
        self.assertEqual(providers(d2), want)  # not doubled, not zero
        m = d2.metrics()
        self.assertEqual(
            m['outcomes_checkpoint_failures_total{reason="key_changed"}'],
            PARTITIONS)
        self.assertEqual(metric_sum(m, "outcomes_checkpoint_failures_total"),
                         PARTITIONS)
        self.assertEqual(m["outcomes_checkpoint_restores_total"], 0)
        self.assertEqual(m["outcomes_events_replayed_total"], len(self.events))
        self.assertEqual(metric_sum(m, "outcomes_events_total"), 0)
        log = d2.log_text()
        self.assertEqual(log.count("checkpoint not used: made with another "
                                   "client hash key"), PARTITIONS, log)
        _, fp_a = fingerprint(SECRET_A)
        _, fp_b = fingerprint(SECRET_B)
        self.assertIn(f"fingerprint {fp_a}, this process {fp_b}", log)
        seen += self.exported(d2)
        self.assertEqual(d2.terminate(), 0)

        d3 = self.daemon("keys", "b", "key-b-again")
        wait_until(d3.ready, 90, "daemon with key B restarted")
        self.assertEqual(providers(d3), want)
        m = d3.metrics()
        self.assertEqual(m["outcomes_checkpoint_restores_total"], PARTITIONS)
        self.assertEqual(metric_sum(m, "outcomes_checkpoint_failures_total"), 0)
        self.assertEqual(m["outcomes_events_replayed_total"], 0)
        seen += self.exported(d3)
        self.assertEqual(d3.terminate(), 0)

        logs = "\n".join(d.log_text() for d in self.daemons)
        for d, fp in zip(self.daemons, (fp_a, fp_b, fp_b)):
            self.assertIn('"msg":"client hash key loaded"', d.log_text())
            self.assertIn(f'"fingerprint":"{fp}"', d.log_text())
        self.assertNotIn("public default key", logs)
        self.assert_nothing_secret(seen + logs, self.checkpoints())

    def test_without_key_file_a_warning_is_logged(self):
        d = self.daemon("default-key", None, "default-key")
        wait_until(d.ready, 90, "ready")
        log = d.log_text()
        self.assertIn("client hashes use the public default key: they are not "
                      "protected against guessing", log)
        self.assertIn("set --privacy.key_file=FILE", log)
        self.assertIn(f'"fingerprint":"{DEFAULT_FINGERPRINT}"', log)
        self.assertEqual(d.terminate(), 0)
        self.assert_nothing_secret(log, self.checkpoints())


class KeyFileErrors(unittest.TestCase):
    """Bad key files stop the daemon before it connects to anything."""

    def run_daemon(self, path):
        r = subprocess.run(
            [binary("outcomesd"), "--kafka.brokers=127.0.0.1:1",
             "--listen=127.0.0.1:0", f"--privacy.key_file={path}"],
            capture_output=True, timeout=20)
        return r.returncode, r.stderr.decode()

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="it-keyfile-")
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)

    def write(self, name, content):
        path = os.path.join(self.work, name)
        with open(path, "w") as f:
            f.write(content)
        return path

    def test_missing_file(self):
        path = os.path.join(self.work, "absent")
        code, err = self.run_daemon(path)
        self.assertEqual(code, 1)
        self.assertIn(f"--privacy.key_file={path}: cannot open: No such file",
                      err)

    def test_empty_file(self):
        path = self.write("empty", "")
        code, err = self.run_daemon(path)
        self.assertEqual(code, 1)
        self.assertIn(f"--privacy.key_file={path}: empty file", err)

    def test_short_file_says_why_without_its_content(self):
        path = self.write("short", "tooshort-secret")  # 15 bytes
        code, err = self.run_daemon(path)
        self.assertEqual(code, 1)
        self.assertIn(f"--privacy.key_file={path}: the key is 15 bytes; it "
                      "must be 16 to 4096 bytes", err)
        self.assertNotIn("tooshort-secret", err)


if __name__ == "__main__":
    unittest.main()
