"""Shared helpers for integration and e2e tests: real processes on 127.0.0.1.

Every wait polls with a deadline; nothing sleeps blindly. Ports are picked by
the programs themselves (port 0) or probed free, so tests run in parallel.

Kafka: make_broker() gives librdkafka's mock cluster (Broker) or a real
Apache Kafka broker (KafkaBroker), according to OUTCOMES_KAFKA=mock|real
(default mock); ctest runs every Kafka test file with both
(tests/KafkaTests.cmake).
"""
import base64
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import urllib.error
import urllib.request

BUILD_DIR = os.environ.get("OUTCOMES_BUILD_DIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "build"))
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Where scripts/setup put the Kafka jars and the kafka-python venv: the same
# variable and default as there.
CACHE_DIR = os.environ.get("OUTCOMES_CACHE_DIR") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
    "outcomesd")
VENV_PYTHON = os.path.join(CACHE_DIR, "venv", "bin", "python")

# OUTCOMES_KAFKA=mock (default): librdkafka's mock cluster (outcomes-broker);
# real: Apache Kafka (KafkaBroker). ctest runs each Kafka test with both.
KAFKA_BACKEND = os.environ.get("OUTCOMES_KAFKA", "mock")
if KAFKA_BACKEND not in ("mock", "real"):
    raise ValueError(f"OUTCOMES_KAFKA={KAFKA_BACKEND!r}: want mock or real")
REAL_KAFKA = KAFKA_BACKEND == "real"


def requires_real_kafka(test):
    """Marks a test (or a file's test class) that runs against Apache Kafka
    only; ctest then registers the file as .real alone (KafkaTests.cmake)."""
    import unittest
    return unittest.skipUnless(REAL_KAFKA, "needs the real broker "
                               "(OUTCOMES_KAFKA=real)")(test)


def kafka_free(test):
    """Marks a test of a Kafka-using file that itself needs no Kafka: it runs
    in the file's .mock variant only, not again in .real."""
    import unittest
    return unittest.skipIf(REAL_KAFKA, "uses no Kafka: runs in the .mock "
                           "variant only")(test)


def binary(name):
    for sub in ("daemon", os.path.join("daemon", "tools"),
                os.path.join("daemon", "ctl")):
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


def kafka_version():
    """<kafka.version> of tests/kafka/pom.xml (what scripts/setup fetched)."""
    with open(os.path.join(REPO, "tests", "kafka", "pom.xml")) as f:
        return re.search(r"<kafka.version>([^<]+)</kafka.version>",
                         f.read()).group(1)


def kafka_libs():
    libs = os.path.join(CACHE_DIR, f"kafka-{kafka_version()}", "libs")
    if not os.path.isdir(libs):
        raise FileNotFoundError(f"{libs} missing: run scripts/setup")
    return libs


DEFAULT_TOPICS = ("outcomes.events", "outcomes.events.dlq", "outcomes.alerts")
STATE_TOPIC = "outcomes.state"

# Topic creation with kafka-python's admin client, run by the venv's python
# (the tests themselves may run under another python3).
_CREATE_TOPICS = r"""
import json, sys, time
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError
bootstrap, spec, timeout = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3])
deadline = time.monotonic() + timeout
pending = {t["name"]: t for t in spec}
last = None
while pending and time.monotonic() < deadline:
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap,
                                 request_timeout_ms=5000)
        try:
            for name, t in list(pending.items()):
                try:
                    admin.create_topics([NewTopic(name, t["partitions"], 1,
                                                  topic_configs=t["configs"])])
                except TopicAlreadyExistsError:
                    pass
                del pending[name]
        finally:
            admin.close()
    except Exception as e:  # broker not serving yet: retry until the deadline
        last = e
        time.sleep(0.2)
if pending:
    sys.exit(f"topics not created: {sorted(pending)}: {last!r}")
"""


_DELETE_RECORDS = r"""
import sys
from kafka import TopicPartition
from kafka.admin import KafkaAdminClient
bootstrap, topic, partition, before = sys.argv[1:5]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
try:
    admin.delete_records({TopicPartition(topic, int(partition)): int(before)},
                         timeout_ms=10000)
finally:
    admin.close()
"""


_ALTER_TOPIC = r"""
import json, sys
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
bootstrap, topic, configs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
try:
    admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic,
                                        configs=configs)])
finally:
    admin.close()
"""


class KafkaBroker:
    """Apache Kafka 4.x (jars from scripts/setup): one combined KRaft node
    (broker + controller) on free 127.0.0.1 ports with a temp log dir. Same
    interface as Broker (.bootstrap, .close()), plus stop(kill=) and start()
    again on the same log dir and ports (broker outage tests).

    Creates `topics` (default: events, dead letters, alerts) with
    `partitions` partitions and the compacted state topic; other topics are
    auto-created with 4 partitions, like the mock cluster."""

    READY_TIMEOUT = 90   # JVM start on a busy 2-core machine

    def __init__(self, partitions=4, topics=None, heap="512m"):
        self.name = "kafka"
        self.libs = kafka_libs()
        self.dir = tempfile.mkdtemp(prefix="kafka-")
        self.log_dir = os.path.join(self.dir, "data")
        self.port = free_port()
        self.controller_port = free_port()
        while self.controller_port == self.port:
            self.controller_port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.heap = heap
        self.proc = None
        self.log = open(os.path.join(self.dir, "kafka.log"), "ab")
        self.config = os.path.join(self.dir, "server.properties")
        with open(self.config, "w") as f:
            f.write(self._properties())
        # Passed as --cluster-id=ID: a random id may start with '-', which
        # argparse would take for an option after a separate "-t".
        cluster_id = base64.urlsafe_b64encode(
            uuid.uuid4().bytes).decode().rstrip("=")
        r = subprocess.run(
            self._java("kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}",
                       "-c", self.config, "--standalone"),
            stdout=self.log, stderr=subprocess.STDOUT, timeout=120)
        if r.returncode != 0:
            raise RuntimeError("kafka StorageTool format failed:\n"
                               + self.log_text())
        try:
            self.start()
            spec = [{"name": t, "partitions": partitions, "configs": {}}
                    for t in (topics or DEFAULT_TOPICS)]
            if STATE_TOPIC not in (topics or ()):
                spec.append({"name": STATE_TOPIC, "partitions": partitions,
                             "configs": {"cleanup.policy": "compact"}})
            self.create_topics(spec)
        except BaseException:
            self.close()
            raise

    def _properties(self):
        return "\n".join([
            "process.roles=broker,controller",
            "node.id=1",
            f"listeners=PLAINTEXT://127.0.0.1:{self.port},"
            f"CONTROLLER://127.0.0.1:{self.controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,"
            "CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name=PLAINTEXT",
            f"controller.quorum.bootstrap.servers=127.0.0.1:"
            f"{self.controller_port}",
            f"log.dirs={self.log_dir}",
            "num.partitions=4",
            "auto.create.topics.enable=true",
            "default.replication.factor=1",
            "min.insync.replicas=1",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=4",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "transaction.state.log.num.partitions=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "share.coordinator.state.topic.num.partitions=1",
            "group.initial.rebalance.delay.ms=0",
            # outcomes-simulate produces batches of up to 4 MB
            # (daemon/tools/sinks.cc: batch.size, message.max.bytes); Kafka's
            # default limit (1 MiB) rejects them: "Message size too large".
            "message.max.bytes=8388608",
            # Retention is the topic's business (tests set retention.ms);
            # nothing expires during a test by default.
            "log.retention.hours=-1",
            "log.cleaner.backoff.ms=1000",
            # A broker restarted after kill -9 is unfenced only once the
            # controller let its old session expire (default 9 s).
            "broker.session.timeout.ms=3000",
            "broker.heartbeat.interval.ms=500",
            "num.network.threads=2",
            "num.io.threads=2",
            "background.threads=2",
            "",
        ])

    def _java(self, main, *args, heap=None):
        flags = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                 "-Xshare:auto", "-Djava.awt.headless=true",
                 "-Dlog4j2.configurationFile=" + os.path.join(
                     REPO, "tests", "kafka", "log4j2.properties")]
        if heap:
            flags = [f"-Xmx{heap}", f"-Xms{heap}"] + flags
        return ["java", *flags, "-cp", os.path.join(self.libs, "*"), main,
                *args]

    def log_text(self):
        self.log.flush()
        with open(self.log.name, "r", errors="replace") as f:
            return f.read()

    def start(self, timeout=None):
        """Starts the broker (again: same log dir, same ports) and waits
        until it serves metadata."""
        assert self.proc is None or self.proc.poll() is not None
        self.proc = subprocess.Popen(
            self._java("kafka.Kafka", self.config, heap=self.heap),
            stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        wait_until(self._serving, timeout or self.READY_TIMEOUT,
                   f"kafka on {self.bootstrap}", interval=0.2)

    def _serving(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"kafka exited ({self.proc.returncode}):\n"
                               + self.log_text()[-4000:])
        r = subprocess.run(["kcat", "-L", "-J", "-b", self.bootstrap,
                            "-m", "2"], capture_output=True, timeout=20)
        if r.returncode != 0:
            return False
        try:
            meta = json.loads(r.stdout)
        except ValueError:
            return False
        return bool(meta.get("brokers"))

    def topic_metadata(self):
        r = subprocess.run(["kcat", "-L", "-J", "-b", self.bootstrap,
                            "-m", "5"], capture_output=True, timeout=30)
        if r.returncode != 0:
            return {}
        return {t["topic"]: t for t in json.loads(r.stdout).get("topics", [])}

    def create_topics(self, spec, timeout=60):
        """spec: [{"name", "partitions", "configs"}]. Waits until every
        partition of each has a leader."""
        if not os.path.exists(VENV_PYTHON):
            raise FileNotFoundError(f"{VENV_PYTHON} missing: run scripts/setup")
        subprocess.run([VENV_PYTHON, "-c", _CREATE_TOPICS, self.bootstrap,
                        json.dumps(spec), str(timeout)], check=True,
                       timeout=timeout + 30, stdout=self.log,
                       stderr=subprocess.STDOUT)

        def led():
            meta = self.topic_metadata()
            for t in spec:
                parts = meta.get(t["name"], {}).get("partitions", [])
                if len(parts) != t["partitions"] or any(
                        p.get("leader", -1) < 0 for p in parts):
                    return False
            return True
        wait_until(led, timeout, "topic leaders", interval=0.2)

    def alter_topic(self, topic, configs):
        """Sets topic configs (e.g. {"retention.ms": "..."}) with the admin
        API's AlterConfigs."""
        subprocess.run([VENV_PYTHON, "-c", _ALTER_TOPIC, self.bootstrap, topic,
                        json.dumps(configs)], check=True, timeout=60,
                       stdout=self.log, stderr=subprocess.STDOUT)

    def delete_records(self, topic, partition, before):
        """Moves the partition's log start to offset `before` (the admin
        API's DeleteRecords, as retention would): its low watermark."""
        subprocess.run([VENV_PYTHON, "-c", _DELETE_RECORDS, self.bootstrap,
                        topic, str(partition), str(before)], check=True,
                       timeout=60, stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self, kill=False, timeout=60):
        """SIGKILL (kill=True: nothing flushed, like a crash) or SIGTERM
        (controlled shutdown). The log dir and ports are kept for start()."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def terminate(self, timeout=60):
        self.stop(timeout=timeout)
        return self.proc.returncode

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        if os.environ.get("OUTCOMES_KEEP_KAFKA_LOGS"):
            print(f"kafka dir kept: {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def make_broker(partitions=4, topics=None):
    """The Kafka backend this run tests against (OUTCOMES_KAFKA): the mock
    cluster (Broker) or Apache Kafka (KafkaBroker). Both have .bootstrap and
    .close()."""
    if REAL_KAFKA:
        return KafkaBroker(partitions=partitions, topics=topics)
    return Broker(partitions=partitions, topics=topics)


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


def events_counted(samples):
    """Messages the daemon has counted: accepted + rejected + duplicates."""
    return (metric_sum(samples, "outcomes_events_total")
            + metric_sum(samples, "outcomes_events_rejected_total")
            + metric_sum(samples, "outcomes_events_duplicate_total"))


def simulate_events(bootstrap, providers, *flags):
    """Runs outcomes-simulate into `bootstrap`; fails with its stderr."""
    r = subprocess.run([binary("outcomes-simulate"), f"--brokers={bootstrap}",
                        f"--providers={providers}", *flags],
                       capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    return r


# ---- Kafka via kcat --------------------------------------------------------

def end_offsets(bootstrap, topic, partitions):
    """{partition: high watermark} of `topic`'s partitions 0..partitions-1."""
    args = ["kcat", "-Q", "-b", bootstrap]
    for p in range(partitions):
        args += ["-t", f"{topic}:{p}:-1"]
    out = subprocess.run(args, capture_output=True, timeout=60, check=True)
    ends = {}
    for line in out.stdout.decode().split("\n"):
        if " offset " in line:   # "outcomes.events [2] offset 123"
            p = int(line.split("[", 1)[1].split("]", 1)[0])
            ends[p] = int(line.rsplit(" ", 1)[1])
    assert len(ends) == partitions, out.stdout
    return ends


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
