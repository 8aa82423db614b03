"""What the Python benchmarks under tests/bench share: the repository's
paths, logging and medians, outcomesd's processed-event counters (polled
with a deadline), outcomes-simulate as a producer, private copies of the
binaries, CPU and memory of a process (rusage, /proc), and stopping a
process with a deadline. Plain functions, no state.

Importing this module puts tests/integration on sys.path but does not
import harness: harness reads OUTCOMES_BUILD_DIR when it is first imported,
so a script that sets it from --build imports harness after that.
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(
    __file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

POLL = 0.05  # seconds between two /metrics polls
# Every event outcomesd has processed is in exactly one of these.
COUNTERS = ("outcomes_events_total", "outcomes_events_rejected_total",
            "outcomes_events_duplicate_total")
_COUNTER_RE = re.compile(
    r"^(outcomes_events_total|outcomes_events_rejected_total|"
    r"outcomes_events_duplicate_total)(\{[^}]*\})?\s+([0-9.eE+-]+)\s*$",
    re.M)
_PART = {"outcomes_events_total": "accepted",
         "outcomes_events_rejected_total": "rejected",
         "outcomes_events_duplicate_total": "duplicate"}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(*args):
    """print(), flushed at once (the output is often piped to a file)."""
    print(*args, flush=True)


def median(values):
    """statistics.median; NaN for no values."""
    return statistics.median(values) if values else float("nan")


def arg_parser(doc, runs=3):
    """The parser every run-N-times benchmark starts with: its description
    is the first line of `doc`; --build (default $BUILD_DIR, else
    REPO/build) and --runs (default `runs`)."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--build", default=os.environ.get(
        "BUILD_DIR", os.path.join(REPO, "build")))
    parser.add_argument("--runs", type=int, default=runs)
    return parser


def add_json_arg(parser):
    """--json FILE: where a benchmark also writes its results."""
    parser.add_argument("--json", help="also write results as JSON here")


def run_closing(bench):
    """bench.run(), then bench.close() (stops every process it started)
    however run() ended."""
    try:
        bench.run()
    finally:
        bench.close()


def write_json(path, data, indent=1):
    """Writes `data` as JSON to `path`; nothing when `path` is empty."""
    if path:
        with open(path, "w") as f:
            json.dump(data, f, indent=indent)


# ---- outcomesd's counters ----------------------------------------------------

def counted(samples):
    """Every event in harness.parse_metrics() `samples`: accepted + rejected
    + duplicates."""
    from harness import metric_sum
    return sum(metric_sum(samples, name) for name in COUNTERS)


def scrape_counts(port):
    """One GET of outcomesd's /metrics on `port`: (midpoint time of the
    request, events processed, {"accepted", "rejected", "duplicate"}), or
    (time, None, None) when it did not answer. Reads only the three
    counters, so a poll costs little next to the daemon it measures."""
    t_a = time.monotonic()
    try:
        with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
            body = r.read().decode()
    except OSError:
        return time.monotonic(), None, None
    t_b = time.monotonic()
    parts = {"accepted": 0.0, "rejected": 0.0, "duplicate": 0.0}
    for name, _, value in _COUNTER_RE.findall(body):
        parts[_PART[name]] += float(value)
    return (t_a + t_b) / 2, int(round(sum(parts.values()))), parts


def watch_count(proc, port, events, deadline, log_path, snapshot=None):
    """Polls outcomesd (`proc`, listening on `port`) on a POLL tick until it
    has processed `events` or time.monotonic() passes `deadline`; exits the
    script if the process exits first. Returns a dict: "first", (time,
    count) of the first poll counting > 0 (None if none); "done", the time
    of the poll that reached `events` (None at the deadline); "parts", the
    last counts by outcome; "at_first" and "at_done", what `snapshot()`
    returned right after those two polls (when given)."""
    out = {"first": None, "done": None, "parts": None, "at_first": None,
           "at_done": None}
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"outcomesd exited early ({proc.returncode}); log: "
                     f"{log_path}")
        t, count, parts = scrape_counts(port)
        if count:
            out["parts"] = parts
            if out["first"] is None:
                out["first"] = (t, count)
                out["at_first"] = snapshot() if snapshot else None
            if count >= events:
                out["done"] = t
                out["at_done"] = snapshot() if snapshot else None
                break
        # Sleep to the next tick, not POLL after the request.
        time.sleep(max(0.0, POLL - (time.monotonic() - t)))
    return out


def wait_ready(daemon, timeout):
    """time.monotonic() at a harness.Daemon's first /readyz 200, polled
    every POLL s; TimeoutError (with the log's tail) after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if daemon.ready():
            return time.monotonic()
        time.sleep(POLL)
    raise TimeoutError(f"outcomesd not ready after {timeout}s:\n"
                       + daemon.log_text()[-3000:])


# ---- outcomes-simulate -------------------------------------------------------

def simulate(simulator, bootstrap, *flags, timeout=300):
    """Runs outcomes-simulate (path `simulator`) against `bootstrap` with
    `flags` until it ends; returns its stderr (the summary line: events=N
    ... kafka_delivered=M). Exits the script if it fails."""
    r = subprocess.run([simulator, f"--brokers={bootstrap}", *flags],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    if r.returncode != 0:
        sys.exit(f"outcomes-simulate failed:\n{r.stderr}")
    return r.stderr


def start_simulator(simulator, bootstrap, *flags):
    """outcomes-simulate in the background (e.g. with --rate=N: live
    events); end it with stop_simulator()."""
    return subprocess.Popen([simulator, f"--brokers={bootstrap}", *flags],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop_simulator(proc):
    """SIGTERM to a start_simulator() process, which flushes what it
    produced; returns how many events Kafka took (kafka_delivered)."""
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    return delivered(err.decode())


def simulator_figure(stderr_text, key):
    """The number after `key`= in outcomes-simulate's output; exits the
    script when there is none."""
    m = re.search(rf"{key}=(\d+)", stderr_text)
    if not m:
        sys.exit(f"no {key} in simulator output:\n{stderr_text}")
    return int(m.group(1))


def delivered(stderr_text):
    """The events Kafka acknowledged, from outcomes-simulate's output."""
    return simulator_figure(stderr_text, "kafka_delivered")


# ---- processes -----------------------------------------------------------

def private_binaries(build, work, names):
    """Copies the built binaries `names` (found as harness.binary() finds
    them: BUILD/daemon, daemon/tools, daemon/ctl) to WORK/bin in the same
    layout, so a concurrent rebuild cannot swap one mid-run. Returns
    (WORK/bin, {name: path}); WORK/bin can serve as OUTCOMES_BUILD_DIR."""
    bin_dir = os.path.join(work, "bin")
    paths = {}
    for name in names:
        for sub in ("daemon", os.path.join("daemon", "tools"),
                    os.path.join("daemon", "ctl")):
            src = os.path.join(build, sub, name)
            if os.path.exists(src):
                break
        else:
            sys.exit(f"{name} not built in {build}")
        dest = os.path.join(bin_dir, sub, name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy2(src, dest)
        paths[name] = dest
    return bin_dir, paths


def popen_logged(argv, log_path, stdout=subprocess.DEVNULL):
    """Popen with stderr to `log_path` and no stdin; the process carries
    log_path."""
    with open(log_path, "wb") as err:
        proc = subprocess.Popen(argv, stdout=stdout, stderr=err,
                                stdin=subprocess.DEVNULL)
    proc.log_path = log_path
    return proc


def cpu_seconds(rusage):
    """User + system seconds of a resource usage."""
    return rusage.ru_utime + rusage.ru_stime


def reap(proc, timeout, poll=0.02):
    """Waits up to `timeout` s (checking every `poll` s) for `proc` to exit
    and reaps it. Returns its CPU seconds (user + sys, children included)
    and sets proc.returncode, or None if it is still running."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        except ChildProcessError:  # reaped already (Popen.poll())
            return None
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return cpu_seconds(rusage)
        if time.monotonic() >= deadline:
            return None
        time.sleep(poll)


def stop(proc, timeout=30, grace=0.0):
    """Gives `proc` `grace` s to exit by itself, then SIGTERM, then SIGKILL
    after `timeout` s. Returns its CPU seconds (as reap()), or None if it
    had to be killed or was reaped before."""
    if proc.returncode is not None:
        return None
    cpu = reap(proc, grace)
    if cpu is None and proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        cpu = reap(proc, timeout)
    if cpu is None:
        proc.kill()
        proc.wait()
    return cpu


def proc_cpu_seconds(pid, tid=None):
    """utime + stime of /proc/PID/stat (/proc/PID/task/TID/stat with
    `tid`), in seconds; 0.0 once the process or thread is gone."""
    path = (f"/proc/{pid}/stat" if tid is None
            else f"/proc/{pid}/task/{tid}/stat")
    try:
        with open(path) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except OSError:
        return 0.0


def proc_status_kib(pid, field):
    """A KiB figure of /proc/PID/status (field "VmRSS", "VmHWM", ...);
    None when the process is gone or has no such line."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None
