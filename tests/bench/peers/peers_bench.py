#!/usr/bin/env python3
"""Peers side by side on the real Apache Kafka broker (issue 11, items 3 and
4): outcomesd against the tools a user would pick instead, on the same
events. Not a ctest test: figures, not pass/fail.

In one run:
  1. build the Kafka Streams peer offline (tests/bench/peers/streams, `mvn -q
     -o`, classes in BUILD/peers-streams; scripts/setup fetched its jars) and
     generate event_pb2 for the Python peer (protoc --python_out);
  2. start Apache Kafka (tests/integration/harness.py KafkaBroker: one KRaft
     node on free 127.0.0.1 ports, jars from scripts/setup) with
     --partitions (default 32) partitions, and produce --events (default
     1,000,000) binary events keyed by provider with outcomes-simulate
     (--providers=1000 --days=120 --seed=1, as tests/bench/ingest_bench.py);
     one untimed kcat read checks that the topic holds exactly that many;
  3. --runs times (default 3), each contender with a fresh consumer group:
     (a) kcat raw read: `kcat -C -b ADDR -t outcomes.events -e -o beginning
         -q > /dev/null`, process start to exit;
     (b) outcomesd: /metrics polled every 50 ms until outcomes_events_total
         + outcomes_events_rejected_total + outcomes_events_duplicate_total
         reaches --events;
     (c) the Kafka Streams peer (streams/src/main/java/outcomes/peers:
         per-provider daily counts by type, a windowed aggregate, and the
         referral -> enrollment join over 14 days in a state store;
         --streams_threads stream threads, default 1 as Kafka Streams');
     (d) the Python peer (python_peer.py: confluent-kafka + protobuf, the
         same computation in dicts);
     each timed from process start to the moment it has processed every
     event ("total"), and from its first event to the last ("consume": no
     start-up, no group join; kcat has no group and starts at once), with
     its CPU seconds (user + sys, rusage of the whole process life);
  4. print one line per figure: medians in events/s and CPU us/event, the
     ratios outcomesd/kcat, outcomesd/streams, outcomesd/python (ratios of
     the medians: total, consume, and the peer's CPU per event over
     outcomesd's), and whether the two peers found the same number of
     referral -> enrollment conversions.
Every wait has a deadline; every process started is killed on exit.

Usage: tests/bench/peers/peers_bench.py [--build=build] [--runs=3]
           [--events=1000000] [--partitions=32] [--streams_threads=1]
           [--timeout=600] [--only=kcat,outcomesd,streams,python]
           [--json=FILE]
PEERS_BENCH_KEEP=1 keeps the work folder (every process's log).
"""
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/bench
from benchlib import (REPO, add_json_arg, arg_parser, log,  # noqa: E402
                      median, popen_logged, private_binaries, reap,
                      run_closing, simulate, stop, watch_count, write_json)
import harness  # noqa: E402  (benchlib put tests/integration on the path)

TOPIC = "outcomes.events"
PROVIDERS = 1000


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.work = tempfile.mkdtemp(prefix="peers-bench-")
        self.procs = []      # every Popen started, killed in close()
        self.broker = None
        self.produced = 0

    # ---- process bookkeeping ---------------------------------------------

    def popen(self, argv, name, stdout=subprocess.DEVNULL):
        proc = popen_logged(argv, os.path.join(self.work, f"{name}.log"),
                            stdout=stdout)
        self.procs.append(proc)
        return proc

    def close(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdout:
                proc.stdout.close()
        if self.broker:
            self.broker.close()
        if os.environ.get("PEERS_BENCH_KEEP"):
            log(f"work dir kept: {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    # ---- preparation -----------------------------------------------------

    def prepare(self):
        _, self.bin = private_binaries(self.build, self.work,
                                       ("outcomesd", "outcomes-simulate"))
        version = harness.kafka_version()
        self.streams_libs = os.path.join(harness.CACHE_DIR,
                                         f"kafka-streams-{version}", "libs")
        if not os.path.isdir(self.streams_libs):
            sys.exit(f"{self.streams_libs} missing: run scripts/setup")
        self.streams_build = os.path.join(self.build, "peers-streams")
        r = subprocess.run(
            ["mvn", "-q", "-o", "-B", "-Dstyle.color=never", "-f",
             os.path.join(HERE, "streams", "pom.xml"),
             f"-Dkafka.version={version}",
             f"-Dpeers.build.dir={self.streams_build}", "compile"],
            capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            sys.exit("building the Kafka Streams peer failed (run "
                     f"scripts/setup?):\n{r.stdout}{r.stderr}")
        self.pb2 = os.path.join(self.work, "pb2")
        os.makedirs(self.pb2)
        subprocess.run(["protoc", f"-I{REPO}/proto", f"--python_out={self.pb2}",
                        f"{REPO}/proto/outcomes/v1/event.proto"], check=True,
                       timeout=60)
        if not os.path.exists(harness.VENV_PYTHON):
            sys.exit(f"{harness.VENV_PYTHON} missing: run scripts/setup")

    def start_and_produce(self):
        t = time.monotonic()
        self.broker = harness.KafkaBroker(partitions=self.args.partitions,
                                          heap="1g")
        log(f"Apache Kafka {harness.kafka_version()} up in "
            f"{time.monotonic() - t:.1f} s at {self.broker.bootstrap}, "
            f"{self.args.partitions} partitions; logs in {self.work}")
        t = time.monotonic()
        simulate(self.bin["outcomes-simulate"], self.broker.bootstrap,
                 f"--providers={PROVIDERS}", "--days=120", "--seed=1",
                 "--rate=0", f"--max_events={self.args.events}",
                 "--format=binary", timeout=self.args.timeout)
        log(f"produced {self.args.events:,} events in "
            f"{time.monotonic() - t:.1f} s")
        # Untimed: the topic holds exactly --events messages.
        r = subprocess.run(
            ["kcat", "-C", "-b", self.broker.bootstrap, "-t", TOPIC, "-e",
             "-o", "beginning", "-q", "-f", "x\n"],
            capture_output=True, timeout=self.args.timeout)
        if r.returncode != 0 or r.stdout.count(b"\n") != self.args.events:
            sys.exit(f"the topic holds {r.stdout.count(b'x')} messages, "
                     f"expected {self.args.events}:\n{r.stderr.decode()}")

    # ---- the contenders --------------------------------------------------

    def run_kcat(self):
        t0 = time.monotonic()
        with open(os.devnull, "wb") as null:
            proc = self.popen(["kcat", "-C", "-b", self.broker.bootstrap, "-t",
                               TOPIC, "-e", "-o", "beginning", "-q"], "kcat",
                              stdout=null)
        cpu = reap(proc, self.args.timeout, poll=0.005)
        if cpu is None:
            sys.exit(f"kcat did not finish in {self.args.timeout} s")
        seconds = time.monotonic() - t0
        if proc.returncode != 0:
            sys.exit(f"kcat failed ({proc.returncode}); log {proc.log_path}")
        return {"seconds_total": seconds,
                "events_per_s": self.args.events / seconds,
                "cpu_seconds": cpu}

    def run_outcomesd(self, run):
        port = harness.free_port()
        t0 = time.monotonic()
        proc = self.popen([self.bin["outcomesd"],
                           f"--kafka.brokers={self.broker.bootstrap}",
                           f"--kafka.group=peers-bench-{run}",
                           f"--listen=127.0.0.1:{port}"], f"outcomesd-{run}")
        seen = watch_count(proc, port, self.args.events,
                           t0 + self.args.timeout, proc.log_path)
        first, done = seen["first"], seen["done"]
        cpu = stop(proc)
        if done is None:
            sys.exit(f"outcomesd did not count {self.args.events} events in "
                     f"{self.args.timeout} s; log {proc.log_path}")
        return {"seconds_total": done - t0,
                "events_per_s": self.args.events / (done - t0),
                "seconds_consume": done - first[0],
                "events_per_s_consume":
                    (self.args.events - first[1]) / (done - first[0]),
                "cpu_seconds": cpu}

    def run_peer(self, argv, name):
        """A peer printing one JSON line once it has processed every event.
        'total' is timed here, from the Popen to the line."""
        t0 = time.monotonic()
        proc = self.popen(argv, name, stdout=subprocess.PIPE)
        deadline = t0 + self.args.timeout
        line = b""
        while not line.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                line += chunk
        t1 = time.monotonic()
        # Each peer stops by itself once it has printed.
        cpu = stop(proc, timeout=30, grace=30)
        if not line.endswith(b"\n"):
            with open(proc.log_path, errors="replace") as f:
                tail = f.read()[-3000:]
            sys.exit(f"{name} printed no result in {self.args.timeout} s "
                     f"(exit {proc.returncode}); log {proc.log_path}:\n{tail}")
        own = json.loads(line)
        return {"seconds_total": t1 - t0,
                "events_per_s": self.args.events / (t1 - t0),
                "seconds_consume": own["seconds_consume"],
                "events_per_s_consume": own["events_per_s_consume"],
                "conversions": own["conversions"], "cpu_seconds": cpu}

    def run_streams(self, run):
        state = os.path.join(self.work, f"streams-state-{run}")
        cp = os.pathsep.join([os.path.join(self.streams_build, "classes"),
                              os.path.join(self.streams_libs, "*")])
        return self.run_peer(
            ["java", "-Xms1g", "-Xmx1g",
             "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", cp,
             "outcomes.peers.StreamsPeer", self.broker.bootstrap, TOPIC,
             f"peers-bench-streams-{run}", state, str(self.args.events),
             str(self.args.streams_threads), str(int(self.args.timeout))],
            f"streams-{run}")

    def run_python(self, run):
        return self.run_peer(
            [harness.VENV_PYTHON, os.path.join(HERE, "python_peer.py"),
             f"--bootstrap={self.broker.bootstrap}", f"--topic={TOPIC}",
             f"--group=peers-bench-python-{run}",
             f"--events={self.args.events}", f"--pb2={self.pb2}",
             f"--timeout={self.args.timeout}"], f"python-{run}")

    # ---- the whole run ---------------------------------------------------

    def run(self):
        self.prepare()
        self.start_and_produce()
        names = [("kcat", "kcat raw read", lambda run: self.run_kcat()),
                 ("outcomesd", "outcomesd", self.run_outcomesd),
                 ("streams", f"Kafka Streams peer "
                  f"({self.args.streams_threads} thread"
                  f"{'s' if self.args.streams_threads > 1 else ''})",
                  self.run_streams),
                 ("python", "Python peer (confluent-kafka)", self.run_python)]
        names = [n for n in names if n[0] in self.args.only]
        runs = {key: [] for key, _, _ in names}
        for run in range(1, self.args.runs + 1):
            for key, label, fn in names:
                load = os.getloadavg()[0]
                r = fn(run)
                r["load_before"] = load
                runs[key].append(r)
                consume = (f", consume {r['events_per_s_consume']:,.0f}/s"
                           if "events_per_s_consume" in r else "")
                cpu = (f"; cpu {r['cpu_seconds']:.2f} s"
                       if r["cpu_seconds"] is not None else "")
                log(f"  run {run} {label:34s} [load {load:4.1f}] "
                    f"{r['seconds_total']:7.2f} s = "
                    f"{r['events_per_s']:11,.0f} events/s{consume}{cpu}")
        return self.summarize(names, runs)

    def summarize(self, names, runs):
        med = {key: {field: median([r[field] for r in runs[key]])
                     for field in ("events_per_s", "events_per_s_consume")
                     if field in runs[key][0]} for key in runs}
        for key in runs:  # CPU (user + sys) per event, whole process life
            cpu = [r["cpu_seconds"] for r in runs[key]
                   if r["cpu_seconds"] is not None]
            if cpu:
                med[key]["cpu_us_per_event"] = (median(cpu) * 1e6
                                                / self.args.events)
        conv = {key: sorted({r["conversions"] for r in runs[key]})
                for key in ("streams", "python") if key in runs}
        summary = {"events": self.args.events,
                   "partitions": self.args.partitions,
                   "providers": PROVIDERS, "runs": self.args.runs,
                   "kafka_version": harness.kafka_version(),
                   "streams_threads": self.args.streams_threads,
                   "medians": med, "conversions": conv, "all_runs": runs,
                   "ratios": {}}
        log("")
        log(f"peers, real Apache Kafka {summary['kafka_version']}: "
            f"{self.args.events:,} binary events, {PROVIDERS:,} providers, "
            f"{self.args.partitions} partitions, medians of {self.args.runs} "
            f"runs; total = process start to every event processed, consume "
            f"= first event to last")
        for key, label, _ in names:
            m = med[key]
            consume = (f"  (consume {m['events_per_s_consume']:,.0f}/s)"
                       if "events_per_s_consume" in m else "")
            cpu = (f"; cpu {m['cpu_us_per_event']:.2f} us/event"
                   if "cpu_us_per_event" in m else "")
            log(f"  {label:34s} {m['events_per_s']:11,.0f} events/s"
                f"{consume}{cpu}")
        goals = {"kcat": 1.0, "streams": 2.0, "python": 7.0}
        for key, goal in goals.items():
            if "outcomesd" not in med or key not in med:
                continue
            d, peer = med["outcomesd"], med[key]
            total = d["events_per_s"] / peer["events_per_s"]
            if "events_per_s_consume" in peer:
                consume = d["events_per_s_consume"] / peer["events_per_s_consume"]
                extra = f", consume/consume {consume:.2f}"
            else:  # kcat: no group, no start-up to leave out
                consume = d["events_per_s_consume"] / peer["events_per_s"]
                extra = f", outcomesd consume/kcat {consume:.2f}"
            summary["ratios"][key] = {"total": total, "consume": consume}
            if "cpu_us_per_event" in d and "cpu_us_per_event" in peer:
                cpu = peer["cpu_us_per_event"] / d["cpu_us_per_event"]
                summary["ratios"][key]["cpu"] = cpu
                extra += f", cpu per event {key}/outcomesd {cpu:.2f}"
            log(f"  ratio outcomesd/{key:9s} {total:5.2f} (total{extra}; "
                f"issue 11 goal >= {goal:g}: "
                f"{'met' if total >= goal else 'NOT met'})")
        if len(conv) == 2:
            same = conv["streams"] == conv["python"] and len(conv["streams"]) == 1
            log(f"  referral -> enrollment conversions: Streams "
                f"{', '.join(map(str, conv['streams']))}, Python "
                f"{', '.join(map(str, conv['python']))} "
                f"({'same' if same else 'DIFFERENT'})")
        write_json(self.args.json, summary)
        return summary


def main():
    parser = arg_parser(__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=32)
    parser.add_argument("--streams_threads", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds allowed for each step")
    parser.add_argument("--only", default="kcat,outcomesd,streams,python",
                        help="comma-separated contenders to run (ratios "
                             "need outcomesd)")
    add_json_arg(parser)
    args = parser.parse_args()
    args.only = args.only.split(",")
    if shutil.which("kcat") is None:
        sys.exit("kcat not found (scripts/setup installs it)")
    # SIGTERM (e.g. from a timeout) unwinds through close() like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run_closing(Bench(args))


if __name__ == "__main__":
    main()
