"""Shared helpers for integration and e2e tests: real processes on 127.0.0.1.

Every wait polls with a deadline; nothing sleeps blindly. Ports are picked by
the programs themselves (port 0) or probed free, so tests run in parallel.
"""
import json
import os
import re
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

BUILD_DIR = os.environ.get("OUTCOMES_BUILD_DIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "build"))


def binary(name):
    for sub in ("daemon", os.path.join("daemon", "tools")):
        path = os.path.join(BUILD_DIR, sub, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"{name} not built in {BUILD_DIR}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class Process:
    """A child process whose stderr goes to a file, killed on close."""

    def __init__(self, args, name, stdout=subprocess.DEVNULL):
        self.name = name
        self.log = tempfile.NamedTemporaryFile(
            prefix=f"{name}-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(args, stdout=stdout, stderr=self.log)

    def log_text(self):
        with open(self.log.name, "r", errors="replace") as f:
            return f.read()

    def terminate(self, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.log.close()


class Broker(Process):
    """outcomes-broker: librdkafka's mock cluster on 127.0.0.1."""

    def __init__(self, partitions=4, topics=None):
        args = [binary("outcomes-broker"), f"--partitions={partitions}"]
        if topics:
            args.append("--topics=" + ",".join(topics))
        super().__init__(args, "broker", stdout=subprocess.PIPE)
        line = self.proc.stdout.readline().decode().strip()
        if not re.match(r"^[\w.\-]+:\d+$", line):
            raise RuntimeError(f"broker did not print its address: {line!r}\n"
                               + self.log_text())
        self.bootstrap = line


class Daemon(Process):
    """outcomesd on a free port, against `bootstrap`."""

    def __init__(self, bootstrap, *extra, group="it", name="outcomesd"):
        self.port = free_port()
        # The mock cluster ignores LeaveGroup: a restarted member waits for
        # the old one's session to expire, so keep sessions short in tests.
        self.kafka_config = tempfile.NamedTemporaryFile(
            "w", prefix="kafka-", suffix=".properties", delete=False)
        self.kafka_config.write("session.timeout.ms=6000\n"
                                "heartbeat.interval.ms=1000\n")
        self.kafka_config.close()
        args = [binary("outcomesd"), f"--kafka.brokers={bootstrap}",
                f"--kafka.config={self.kafka_config.name}",
                f"--kafka.group={group}", f"--listen=127.0.0.1:{self.port}",
                "--commit.interval=200ms", "--eval.interval=1s", *extra]
        super().__init__(args, name)
        wait_until(self.healthy, 20, "outcomesd /healthz")

    def get(self, path):
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def healthy(self):
        if self.proc.poll() is not None:
            raise RuntimeError("outcomesd exited:\n" + self.log_text())
        try:
            return self.get("/healthz")[0] == 200
        except OSError:
            return False

    def ready(self):
        return self.healthy() and self.get("/readyz")[0] == 200

    def metrics(self):
        return parse_metrics(self.get("/metrics")[1])

    def json(self, path):
        status, body = self.get(path)
        assert status == 200, f"{path}: {status} {body}"
        return json.loads(body)


def parse_metrics(text):
    """{'name{a="b"}': value} for every sample; labels kept as written."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        samples[name] = float(value)
    return samples


def metric_sum(samples, name):
    return sum(v for k, v in samples.items()
               if k == name or k.startswith(name + "{"))


# ---- Kafka via kcat --------------------------------------------------------

def kcat_produce_files(bootstrap, topic, key, values):
    """Produces each value as one message (one file each), key `key`."""
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for i, value in enumerate(values):
            path = os.path.join(d, f"m{i:06d}")
            with open(path, "wb") as f:
                f.write(value)
            paths.append(path)
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-k", key,
                        *paths], check=True, timeout=60)


def kcat_consume(bootstrap, topic):
    """All messages of `topic` as kcat JSON envelopes (with headers)."""
    out = subprocess.run(
        ["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e",
         "-q", "-J"], check=True, capture_output=True, timeout=60).stdout
    text = out.decode("utf-8", "surrogateescape")
    # split("\n"), not splitlines(): payload bytes like \x1c are not line ends.
    return [json.loads(line) for line in text.split("\n") if line]


# ---- Protobuf encoding of outcomes.v1.ServiceEvent (no library needed) -----

TYPES = {"referral": 1, "enrollment": 2, "completion": 3, "disenrollment": 4,
         "outcome": 5}


def _varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number, wire, payload):
    return _varint(number << 3 | wire) + payload


def _string(number, s):
    data = s.encode() if isinstance(s, str) else s
    return _field(number, 2, _varint(len(data)) + data)


def encode_event(ev):
    """Binary protobuf of a dict shaped like the proto's JSON (snake_case)."""
    out = b""
    if "event_id" in ev:
        out += _string(1, ev["event_id"])
    if "type" in ev:
        out += _field(2, 0, _varint(ev["type"] if isinstance(ev["type"], int)
                                    else TYPES[ev["type"]]))
    if "occurred_at" in ev:
        secs = int(ev["occurred_at"])
        ts = _field(1, 0, _varint(secs))
        out += _field(3, 2, _varint(len(ts)) + ts)
    for number, key in ((4, "provider_id"), (5, "program_id"),
                        (6, "contract_id"), (7, "client_key")):
        if key in ev:
            out += _string(number, ev[key])
    for group in ev.get("priority_groups", []):
        out += _string(8, group)
    for k, v in ev.get("attributes", {}).items():
        entry = _string(1, k) + _string(2, v)
        out += _field(9, 2, _varint(len(entry)) + entry)
    if "outcome_code" in ev:
        out += _string(10, ev["outcome_code"])
    if "outcome_value" in ev:
        out += _field(11, 1, struct.pack("<d", ev["outcome_value"]))
    return out


def to_json(ev):
    """proto3 JSON of the same dict (occurred_at as RFC 3339)."""
    out = dict(ev)
    if "occurred_at" in out:
        out["occurred_at"] = time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(out["occurred_at"])))
    if isinstance(out.get("type"), str):
        out["type"] = "EVENT_TYPE_" + out["type"].upper()
    return json.dumps(out).encode()
