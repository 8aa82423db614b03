"""SIGTERM with the Kafka broker already dead (DESIGN.md §7: "stop consuming,
checkpoint, exit 0 within 5 s"; docs/design.md, "Shutdown").

The broker (outcomes-broker, or Apache Kafka with OUTCOMES_KAFKA=real) is
killed with SIGKILL, then outcomesd gets SIGTERM. It must exit with status 0
within BOUND seconds, having written what it can save locally: each
partition's checkpoint in --state.dir, at the offset that was committed
before the broker died. What it processed but could not commit is read again
by the next owner (at-least-once; the dedupe index drops repeats).

Before the fix the final synchronous commit waited for the dead coordinator
until the session timed out: 45.8 s after SIGTERM mid-stream against the
real broker (librdkafka's default session.timeout.ms, which these daemons
keep); now about 3 s. SHUTDOWN_BOUND=120 measures a slow stop instead of
failing at BOUND.
"""
import ctypes
import ctypes.util
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import unittest

from harness import (Daemon, KafkaBroker, binary, events_counted, make_broker,
                     simulate_events, wait_until)
from harness import end_offsets as harness_end_offsets

TOPIC = "outcomes.events"
PARTITIONS = 4
GROUP = "shutdown"
PROVIDERS = 20
# The daemon's budget is 5 s from SIGTERM; 3 s of slack for a busy 2-core
# machine (a JVM broker may be shutting down beside it).
BOUND = int(os.environ.get("SHUTDOWN_BOUND", "8"))


def simulate(bootstrap, *flags):
    simulate_events(bootstrap, PROVIDERS, *flags)


def end_offsets(bootstrap):
    return harness_end_offsets(bootstrap, TOPIC, PARTITIONS)


# ---- the group's committed offsets, through librdkafka's C API -----------
# kcat cannot read a group's offsets and kafka-python cannot talk to the mock
# cluster (test_interop.py), so ask with rd_kafka_committed (an OffsetFetch
# request; the group is not joined).

class _TopicPartition(ctypes.Structure):
    _fields_ = [("topic", ctypes.c_char_p), ("partition", ctypes.c_int32),
                ("offset", ctypes.c_int64), ("metadata", ctypes.c_void_p),
                ("metadata_size", ctypes.c_size_t),
                ("opaque", ctypes.c_void_p), ("err", ctypes.c_int),
                ("_private", ctypes.c_void_p)]


class _TopicPartitionList(ctypes.Structure):
    _fields_ = [("cnt", ctypes.c_int), ("size", ctypes.c_int),
                ("elems", ctypes.POINTER(_TopicPartition))]


def _librdkafka():
    lib = ctypes.CDLL(ctypes.util.find_library("rdkafka") or "librdkafka.so.1")
    lib.rd_kafka_conf_new.restype = ctypes.c_void_p
    lib.rd_kafka_conf_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                      ctypes.c_char_p, ctypes.c_char_p,
                                      ctypes.c_size_t]
    lib.rd_kafka_new.restype = ctypes.c_void_p
    lib.rd_kafka_new.argtypes = [ctypes.c_int, ctypes.c_void_p,
                                 ctypes.c_char_p, ctypes.c_size_t]
    lib.rd_kafka_topic_partition_list_new.restype = ctypes.POINTER(
        _TopicPartitionList)
    lib.rd_kafka_topic_partition_list_add.restype = ctypes.c_void_p
    lib.rd_kafka_topic_partition_list_add.argtypes = [
        ctypes.POINTER(_TopicPartitionList), ctypes.c_char_p, ctypes.c_int32]
    lib.rd_kafka_committed.argtypes = [
        ctypes.c_void_p, ctypes.POINTER(_TopicPartitionList), ctypes.c_int]
    lib.rd_kafka_topic_partition_list_destroy.argtypes = [
        ctypes.POINTER(_TopicPartitionList)]
    lib.rd_kafka_destroy.argtypes = [ctypes.c_void_p]
    return lib


def committed_offsets(bootstrap, group):
    """{partition: committed offset (-1001: none)}, or None on error."""
    lib = _librdkafka()
    conf = lib.rd_kafka_conf_new()
    error = ctypes.create_string_buffer(512)
    for key, value in (("bootstrap.servers", bootstrap), ("group.id", group),
                       ("enable.auto.commit", "false"),
                       ("client.id", "test-shutdown")):
        assert lib.rd_kafka_conf_set(conf, key.encode(), value.encode(),
                                     error, 512) == 0, error.value
    rk = lib.rd_kafka_new(1, conf, error, 512)  # RD_KAFKA_CONSUMER
    assert rk, error.value
    parts = lib.rd_kafka_topic_partition_list_new(PARTITIONS)
    try:
        for p in range(PARTITIONS):
            lib.rd_kafka_topic_partition_list_add(parts, TOPIC.encode(), p)
        if lib.rd_kafka_committed(rk, parts, 10000) != 0:
            return None
        elems = parts.contents.elems
        return {elems[i].partition: elems[i].offset
                for i in range(parts.contents.cnt)}
    finally:
        lib.rd_kafka_topic_partition_list_destroy(parts)
        lib.rd_kafka_destroy(rk)


# ---- checkpoint files (daemon/checkpointer.cc, daemon/base/checked_file.h) --

def _varint(data, pos):
    value = shift = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def checkpoint_offset(path):
    """The committed offset a checkpoint covers: after the 20-byte frame
    (magic OCKP, version, length, crc32), topic (string), partition and
    offset (zigzag varints)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"OCKP", path
    (length,) = struct.unpack_from("<Q", data, 8)
    assert len(data) == 20 + length, path
    n, pos = _varint(data, 20)
    pos += n                        # topic
    _, pos = _varint(data, pos)     # partition
    zigzag, _ = _varint(data, pos)
    return (zigzag >> 1) ^ -(zigzag & 1)


def checkpoint_offsets(state_dir):
    """{partition: offset} of the checkpoints of TOPIC's partitions."""
    out = {}
    for p in range(PARTITIONS):
        path = os.path.join(state_dir, "partitions", f"{TOPIC}-{p}.ckpt")
        if os.path.exists(path):
            out[p] = checkpoint_offset(path)
    return out


def kill_broker(broker):
    """SIGKILL: nothing flushed, no goodbye to its clients."""
    if isinstance(broker, KafkaBroker):
        broker.stop(kill=True)
    else:
        broker.proc.kill()
        broker.proc.wait(30)


class ShutdownWithDeadBrokerTest(unittest.TestCase):
    def setUp(self):
        self.state = tempfile.mkdtemp(prefix="shutdown-state-")
        self.addCleanup(shutil.rmtree, self.state, ignore_errors=True)
        self.broker = make_broker(partitions=PARTITIONS)
        self.addCleanup(self.broker.close)

    def daemon(self, *extra):
        # librdkafka's defaults (session.timeout.ms 45 s), as in production:
        # the harness's 6 s session would hide how long a close can wait.
        config = os.path.join(self.state, "..", os.path.basename(self.state)
                              + ".properties")
        with open(config, "w") as f:
            f.write("# librdkafka defaults\n")
        self.addCleanup(os.remove, config)
        d = Daemon(self.broker.bootstrap, f"--state.dir={self.state}",
                   f"--kafka.config={config}", *extra, group=GROUP)
        self.addCleanup(d.close)
        return d

    def stop_within_bound(self, d):
        """SIGTERM; asserts exit status 0 within BOUND s. Returns seconds."""
        start = time.monotonic()
        rc = d.terminate(BOUND)  # SIGTERM, then SIGKILL after BOUND s
        seconds = time.monotonic() - start
        if rc == -signal.SIGKILL:
            self.fail(f"outcomesd still running {BOUND} s after SIGTERM "
                      f"with the broker dead:\n" + tail(d.log_text()))
        print(f"{self.id()}: stopped {seconds:.2f} s after SIGTERM",
              flush=True)
        self.assertEqual(rc, 0, tail(d.log_text()))
        self.assertIn('"msg":"stopped"', d.log_text())
        return seconds

    def test_broker_dead_for_a_while_checkpoints_and_exits(self):
        simulate(self.broker.bootstrap, "--seed=1", "--days=30")
        first = end_offsets(self.broker.bootstrap)
        # Checkpoints are written once when a partition is first committed,
        # then not again for an hour: only the shutdown brings them up to
        # date after the second batch.
        d = self.daemon("--checkpoint.interval=1h")
        wait_until(lambda: d.ready()
                   and events_counted(d.metrics()) == sum(first.values()), 90,
                   "the first batch counted", interval=0.2)
        wait_until(lambda: checkpoint_offsets(self.state) == first, 30,
                   "checkpoints of the first batch", interval=0.2)

        # Whole past days, so every partition gets events (--days=1 is only
        # today so far: early in the UTC day a partition can get none).
        simulate(self.broker.bootstrap, "--seed=2", "--days=3")
        second = end_offsets(self.broker.bootstrap)
        self.assertTrue(all(second[p] > first[p] for p in first), second)
        wait_until(lambda: events_counted(d.metrics()) == sum(second.values()), 60,
                   "the second batch counted", interval=0.2)
        wait_until(lambda: committed_offsets(self.broker.bootstrap, GROUP)
                   == second, 30, "the second batch committed", interval=0.2)
        self.assertEqual(checkpoint_offsets(self.state), first)

        kill_broker(self.broker)
        # The liveness probe has noticed: commits are skipped from here on.
        wait_until(lambda: "unreachable" in d.get("/readyz")[1], 30,
                   "/readyz: kafka brokers unreachable", interval=0.2)
        self.stop_within_bound(d)
        self.assertEqual(checkpoint_offsets(self.state), second)

    def test_broker_killed_mid_stream_then_sigterm_at_once(self):
        simulate(self.broker.bootstrap, "--seed=1", "--days=30")
        backfill = sum(end_offsets(self.broker.bootstrap).values())
        d = self.daemon()
        wait_until(lambda: d.ready() and events_counted(d.metrics()) == backfill, 90,
                   "the backfill counted", interval=0.2)
        live = subprocess.Popen(
            [binary("outcomes-simulate"), f"--brokers={self.broker.bootstrap}",
             "--seed=2", f"--providers={PROVIDERS}", "--days=1",
             "--rate=2000"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: live.poll() is None
                       and events_counted(d.metrics()) >= backfill + 1000, 60,
                       "live events counted", interval=0.1)
            kill_broker(self.broker)
        finally:
            live.send_signal(signal.SIGKILL)
            live.wait(10)
        # At once: processed offsets are not committed yet, and the probe
        # still says a broker answers.
        self.stop_within_bound(d)


def tail(log):
    return "\n".join(line for line in log.splitlines()
                     if "Connect to ipv4" not in line)[-6000:]


if __name__ == "__main__":
    unittest.main()
