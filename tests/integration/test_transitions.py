"""Integration: figures stay right through restarts (docs/design.md, "State through restarts, rebalances and faults").

Real processes on 127.0.0.1: a Kafka broker, outcomes-simulate, kcat and
outcomesd. Each test reproduces one problem measured in issue 7:

- ready but wrong: after a restart /readyz was 200 while the partition
  replay still ran, and the API differed from a daemon that never stopped;
- restart cost: a SIGTERM restart with --state.dir replays nothing (the
  checkpoint covers the committed offset) and gives the same figures;
- corrupt state: a checkpoint overwritten with random bytes is counted and
  rebuilt from Kafka, not fatal;
- split providers: unkeyed messages are rejected as key_mismatch;
- a --state.dir that cannot be written is a metric and a /readyz line.

Run: OUTCOMES_BUILD_DIR=build python3 -u tests/integration/test_transitions.py
"""
import glob
import os
import random
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import (make_broker, Daemon, binary, encode_event, kcat_consume,
                     metric_sum, wait_until)

TOPIC = "outcomes.events"
DLQ = "outcomes.events.dlq"
PARTITIONS = 8


def simulate(bootstrap, **flags):
    args = [binary("outcomes-simulate"), f"--brokers={bootstrap}",
            *[f"--{k}={v}" for k, v in flags.items()]]
    r = subprocess.run(args, capture_output=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("outcomes-simulate failed:\n" + r.stderr.decode())
    for word in r.stderr.decode().split():
        if word.startswith("events="):
            return int(word.split("=")[1])
    raise RuntimeError("no event count in: " + r.stderr.decode())


def providers(daemon):
    """/api/v1/providers without the evaluation day."""
    return daemon.json("/api/v1/providers")["providers"]


class Transitions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = make_broker(partitions=PARTITIONS)
        # ~150k events over 8 partitions (each well under the mock's limit).
        cls.produced = simulate(cls.broker.bootstrap, providers=40,
                                referrals_per_day=12, days=60, seed=7)

    @classmethod
    def tearDownClass(cls):
        cls.broker.close()

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="it-transitions-")
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)

    def daemon(self, group, *extra, name="outcomesd"):
        d = Daemon(self.broker.bootstrap, *extra, group=group, name=name)
        self.addCleanup(d.close)
        return d

    def reference(self, group, *extra):
        """A first daemon that consumed everything, stopped with SIGTERM;
        returns its final figures."""
        d = self.daemon(group, *extra, name="first")
        wait_until(d.ready, 90, "first daemon ready")
        accepted = metric_sum(d.metrics(), "outcomes_events_total")
        self.assertGreater(accepted, 0.9 * self.produced)
        figures = providers(d)
        self.assertEqual(d.terminate(), 0)
        return figures

    def test_not_ready_until_the_replayed_figures_are_right(self):
        want = self.reference("ready-right")
        d = self.daemon("ready-right", name="restarted")
        samples = 0
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if d.get("/readyz")[0] == 200:
                self.assertEqual(providers(d), want,
                                 "ready with figures that differ")
                samples += 1
                if samples == 3:
                    break
            time.sleep(0.02)
        self.assertEqual(samples, 3, "never ready")
        m = d.metrics()
        self.assertGreater(m["outcomes_events_replayed_total"], 0)
        self.assertEqual(metric_sum(m, "outcomes_events_total"), 0)

    def test_checkpoint_restart_replays_nothing(self):
        state = os.path.join(self.work, "state")
        want = self.reference("ckpt", f"--state.dir={state}")
        files = glob.glob(os.path.join(state, "partitions", "*.ckpt"))
        self.assertEqual(len(files), PARTITIONS, files)
        d = self.daemon("ckpt", f"--state.dir={state}", name="restored")
        wait_until(d.ready, 60, "restored daemon ready")
        self.assertEqual(providers(d), want)
        m = d.metrics()
        self.assertEqual(m["outcomes_checkpoint_restores_total"], PARTITIONS)
        self.assertEqual(m["outcomes_events_replayed_total"], 0)
        self.assertEqual(
            metric_sum(m, "outcomes_checkpoint_failures_total"), 0)

    def test_corrupt_checkpoint_is_counted_and_rebuilt(self):
        state = os.path.join(self.work, "state")
        want = self.reference("corrupt", f"--state.dir={state}")
        files = sorted(glob.glob(os.path.join(state, "partitions", "*.ckpt")))
        rng = random.Random(3)
        with open(files[0], "wb") as f:           # random bytes
            f.write(bytes(rng.getrandbits(8) for _ in range(4096)))
        with open(files[1], "r+b") as f:          # one flipped bit
            data = bytearray(f.read())
            data[len(data) // 2] ^= 0x04
            f.seek(0)
            f.write(data)
        d = self.daemon("corrupt", f"--state.dir={state}", name="rebuilt")
        wait_until(d.ready, 60, "daemon ready after corrupt checkpoints")
        self.assertEqual(providers(d), want)
        m = d.metrics()
        self.assertEqual(
            m['outcomes_checkpoint_failures_total{reason="corrupt"}'], 2)
        self.assertEqual(m["outcomes_checkpoint_restores_total"],
                         PARTITIONS - 2)
        self.assertIn("checkpoint not used", d.log_text())

    def test_unwritable_state_dir_is_reported_not_fatal(self):
        state = os.path.join(self.work, "not-a-dir")
        with open(state, "w") as f:
            f.write("a file where the state dir should be\n")
        d = self.daemon("unwritable", f"--state.dir={state}")
        wait_until(d.ready, 90, "ready despite the state dir")
        wait_until(lambda: d.metrics().get("outcomes_state_dir_writable") == 0,
                   20, "outcomes_state_dir_writable 0")
        status, body = d.get("/readyz")
        self.assertEqual(status, 200)
        self.assertIn("warning: state dir not writable", body)
        self.assertGreater(
            d.metrics()['outcomes_checkpoint_failures_total{reason="write"}'],
            0)


class Keys(unittest.TestCase):
    def test_unkeyed_events_are_rejected_not_split(self):
        broker = make_broker(partitions=4)
        self.addCleanup(broker.close)
        now = int(time.time())
        work = tempfile.mkdtemp(prefix="it-keys-")
        self.addCleanup(shutil.rmtree, work, ignore_errors=True)
        paths = []
        for i in range(12):
            path = os.path.join(work, f"m{i}")
            with open(path, "wb") as f:
                f.write(encode_event({
                    "event_id": f"unkeyed-{i}", "type": "referral",
                    "occurred_at": now - 3600, "provider_id": "prov-split",
                    "program_id": "workforce", "client_key": f"c{i}"}))
            paths.append(path)
        # No -k: a null key; the partitioner spreads them over partitions.
        subprocess.run(["kcat", "-P", "-b", broker.bootstrap, "-t", TOPIC,
                        *paths], check=True, timeout=60)
        wrong = os.path.join(work, "wrong")
        with open(wrong, "wb") as f:
            f.write(encode_event({
                "event_id": "wrong-key", "type": "referral",
                "occurred_at": now - 3600, "provider_id": "prov-split",
                "program_id": "workforce", "client_key": "c99"}))
        subprocess.run(["kcat", "-P", "-b", broker.bootstrap, "-t", TOPIC,
                        "-k", "prov-other", wrong], check=True, timeout=60)
        d = Daemon(broker.bootstrap, group="keys")
        self.addCleanup(d.close)
        wait_until(d.ready, 30, "ready")
        key = 'outcomes_events_rejected_total{reason="key_mismatch"}'
        wait_until(lambda: d.metrics().get(key) == 13, 20, "13 key_mismatch")
        self.assertEqual(metric_sum(d.metrics(), "outcomes_events_total"), 0)
        self.assertEqual(d.get("/api/v1/providers/prov-split")[0], 404)
        dead = wait_until(
            lambda: (lambda x: x if len(x) == 13 else None)(
                kcat_consume(broker.bootstrap, DLQ)), 20, "13 dead letters")
        for m in dead:
            h = dict(zip(m["headers"][::2], m["headers"][1::2]))
            self.assertEqual(h["reason"], "key_mismatch")


if __name__ == "__main__":
    unittest.main()
