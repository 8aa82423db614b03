"""Helpers for the end-to-end alert tests: a real Alertmanager 0.25 (gossip
off), a webhook receiver that records every POST, the simulator, rule files,
and an independent recomputation of the figures the goals judge (from the
simulator's --out file, by the words of daemon/state/FUNNEL_RULES.md).

Builds on tests/integration/harness.py (imported, not copied); make_broker
gives the mock cluster or Apache Kafka according to OUTCOMES_KAFKA.
"""
import datetime
import http.server
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from harness import (REAL_KAFKA, Broker, Daemon, Process, binary,  # noqa: E402,F401
                     encode_event, free_port, kcat_produce_files, make_broker,
                     wait_until)

ALERTMANAGER = shutil.which("prometheus-alertmanager") or "prometheus-alertmanager"
AMTOOL = shutil.which("amtool") or "amtool"
TOPIC = "outcomes.events"
ENROLL_WITHIN = 14   # outcomesd's default --enroll_within
HORIZON = 120        # outcomesd's default --horizon


# ---- webhook receiver ------------------------------------------------------

class Recorder:
    """An HTTP server on 127.0.0.1 that answers 200 to every POST and keeps
    (receive time, path, parsed JSON body) for each. Serves the Alertmanager
    webhook and, as a second --alertmanager.url, taps what outcomesd sends."""

    def __init__(self, status=200):
        # The answer to every POST; only answered-200 POSTs are kept. Tests
        # may change it (e.g. 503 to play an Alertmanager that is down).
        self.status = status
        self._lock = threading.Lock()
        self._posts = []
        self._headers = []  # the request headers of each kept POST
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                t = time.time()
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                status = recorder.status
                if status == 200:
                    with recorder._lock:
                        recorder._posts.append((t, self.path, json.loads(body)))
                        recorder._headers.append(dict(self.headers))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def posts(self):
        with self._lock:
            return list(self._posts)

    def headers(self):
        """The request headers of each POST posts() returns, in order."""
        with self._lock:
            return list(self._headers)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def notifications(recorder, status=None, since=0.0, **labels):
    """Webhook notifications (t, body) whose alerts include one with all of
    `labels`; optionally only those of notification `status`."""
    out = []
    for t, _, body in recorder.posts():
        if t < since or (status and body.get("status") != status):
            continue
        if any(all(a["labels"].get(k) == v for k, v in labels.items())
               for a in body.get("alerts", [])):
            out.append((t, body))
    return out


def tapped_alerts(recorder, since=0.0):
    """(t, alert) for every alert in every POST /api/v2/alerts body."""
    return [(t, a) for t, path, body in recorder.posts()
            if t >= since and path == "/api/v2/alerts" for a in body]


# ---- Alertmanager ----------------------------------------------------------

AM_CONFIG = """\
route:
  receiver: webhook
  group_by: [alertname, contract, provider]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: webhook
    webhook_configs:
      - url: {url}/webhook
        send_resolved: true
"""


class Alertmanager(Process):
    """prometheus-alertmanager on 127.0.0.1, gossip off, routing everything
    to `webhook_url` with group_wait 1s, group_interval 1s, repeat 1h."""

    def __init__(self, webhook_url, port=None, storage=None, name="alertmanager",
                 web_config=None, client=None):
        """web_config: the text of a --web.config.file (TLS, basic_auth_users);
        client: (ssl.SSLContext, {header: value}) this object uses to reach it,
        then its URL is https://localhost:PORT."""
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="am-")
        self.config = os.path.join(self.dir, "alertmanager.yml")
        with open(self.config, "w") as f:
            f.write(AM_CONFIG.format(url=webhook_url))
        self.client = client or (None, {})
        extra = []
        if web_config:
            web = os.path.join(self.dir, "web.yml")
            with open(web, "w") as f:
                f.write(web_config)
            extra.append(f"--web.config.file={web}")
        check = subprocess.run([AMTOOL, "check-config", self.config],
                               capture_output=True, timeout=30)
        if check.returncode != 0:
            raise RuntimeError("amtool check-config failed:\n"
                               + check.stdout.decode() + check.stderr.decode())
        self.storage = storage or os.path.join(self.dir, "data")
        self.url = (f"https://localhost:{self.port}" if client
                    else f"http://127.0.0.1:{self.port}")
        super().__init__([ALERTMANAGER, f"--config.file={self.config}",
                          f"--storage.path={self.storage}",
                          f"--web.listen-address=127.0.0.1:{self.port}",
                          "--cluster.listen-address=", *extra], name)
        wait_until(self.ready, 30, "alertmanager /-/ready", interval=0.1)

    def ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError("alertmanager exited:\n" + self.log_text())
        try:
            with self._open("/-/ready", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def alerts(self):
        with self._open("/api/v2/alerts", timeout=5) as r:
            return json.loads(r.read())

    def _open(self, path, timeout):
        context, headers = self.client
        req = urllib.request.Request(self.url + path, headers=headers)
        return urllib.request.urlopen(req, timeout=timeout, context=context)

    def close(self):
        super().close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def kill(self):
        """SIGKILL: no shutdown, nothing flushed."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


# ---- outcomesd -------------------------------------------------------------

def start_daemon(test, bootstrap, rules, *extra, group, state_dir=None,
                 alertmanagers=(), name="outcomesd"):
    args = [f"--rules={rules}"]
    if state_dir:
        args.append(f"--state.dir={state_dir}")
    if alertmanagers:
        args.append("--alertmanager.url=" + ",".join(alertmanagers))
    d = Daemon(bootstrap, *args, *extra, group=group, name=name)
    test.addCleanup(d.close)
    test.addCleanup(lambda: print_log_tail(d))
    return d


def print_log_tail(process, lines=15):
    if process.proc.returncode not in (None, 0, -9, -15):
        print(f"--- {process.name} log tail ---\n"
              + "\n".join(process.log_text().splitlines()[-lines:]))


def parse_series(text, name):
    """[(labels dict, value)] for every sample of metric `name`."""
    out = []
    pattern = re.compile(r'^' + re.escape(name) + r'(\{(.*)\})? (\S+)$')
    for line in text.splitlines():
        m = pattern.match(line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        out.append((labels, float(m.group(3))))
    return out


def metric(daemon, name, **labels):
    """Sum of the samples of `name` whose labels include `labels`."""
    text = daemon.get("/metrics")[1]
    return sum(v for l, v in parse_series(text, name)
               if all(l.get(k) == x for k, x in labels.items()))


def caught_up(daemon):
    """Ready, and no lag on any partition it holds."""
    if not daemon.ready():
        return False
    text = daemon.get("/metrics")[1]
    return sum(v for _, v in parse_series(text, "outcomes_kafka_consumer_lag")) == 0


def settled_providers(daemons, timeout=60):
    """{provider: /api/v1/providers entry} over `daemons` (replicas of one
    group) once each is caught up and the union is unchanged over two
    evaluations (the API serves the latest, up to --eval.interval old).
    Raises AssertionError when two of them list the same provider."""
    last = [None]

    def unchanged():
        if not all(caught_up(d) for d in daemons):
            return False
        union = {}
        for d in daemons:
            for p in d.json("/api/v1/providers")["providers"]:
                assert p["provider"] not in union, \
                    f"{p['provider']} listed by two replicas"
                union[p["provider"]] = p
        same = union == last[0]
        last[0] = union
        return same
    wait_until(unchanged, timeout, "figures settled", interval=1.2)
    return last[0]


def alerts_api(daemon):
    return daemon.json("/api/v1/alerts")["alerts"]


def find_alert(alerts, **labels):
    found = [a for a in alerts
             if all(a["labels"].get(k) == v for k, v in labels.items())]
    return found[0] if len(found) == 1 else None


# ---- rules -----------------------------------------------------------------

def write_rules(directory, text, name="rules.yaml"):
    """Writes a rule file and validates it with `outcomesctl check rules`."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    check = subprocess.run([binary_ctl(), "check", "rules", path],
                           capture_output=True, timeout=30)
    if check.returncode != 0:
        raise RuntimeError("outcomesctl check rules failed:\n"
                           + check.stdout.decode() + check.stderr.decode())
    return path


def binary_ctl():
    from harness import BUILD_DIR
    return os.path.join(BUILD_DIR, "daemon", "ctl", "outcomesctl")


# ---- simulator and the figures it implies ----------------------------------

def simulate(bootstrap, out_dir, **flags):
    """Runs outcomes-simulate to Kafka and to a JSON file; returns the events
    (proto3 JSON dicts) in emission order."""
    out = os.path.join(out_dir, "events.jsonl")
    args = [binary("outcomes-simulate"), f"--brokers={bootstrap}", f"--out={out}"]
    args += [f"--{k}={v}" for k, v in flags.items()]
    r = subprocess.run(args, capture_output=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("outcomes-simulate failed:\n" + r.stderr.decode())
    with open(out) as f:
        return [json.loads(line) for line in f if line.strip()]


def parse_time(rfc3339):
    return datetime.datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))


def day_of(ev):
    return parse_time(ev["occurredAt"]).date()


def today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def kind(ev):
    return ev["type"].removeprefix("EVENT_TYPE_").lower()


class Funnel:
    """Enrollment-rate inputs of one provider+program (FUNNEL_RULES.md §2)."""

    def __init__(self, events, provider, program):
        self.referrals = []        # (day, client, priority, event)
        self.enrollments = {}      # client -> [day]
        for ev in events:
            if ev["providerId"] != provider or ev["programId"] != program:
                continue
            if kind(ev) == "referral":
                self.referrals.append((day_of(ev), ev["clientKey"],
                                       bool(ev.get("priorityGroups")), ev))
            elif kind(ev) == "enrollment":
                self.enrollments.setdefault(ev["clientKey"], []).append(day_of(ev))

    def in_time(self, ref_day, client):
        return any(ref_day <= d <= ref_day + datetime.timedelta(ENROLL_WITHIN)
                   for d in self.enrollments.get(client, []))

    def window_referrals(self, window_days, on):
        """Matured referrals of age M+1 ... M+N."""
        return [r for r in self.referrals
                if ENROLL_WITHIN + 1 <= (on - r[0]).days <= ENROLL_WITHIN + window_days]

    def enrollment_rate(self, window_days, on):
        """(enrolled in time, sample)."""
        refs = self.window_referrals(window_days, on)
        return sum(self.in_time(d, c) for d, c, _, _ in refs), len(refs)

    def stalled(self, on):
        """(stalled referrals, of them priority clients)."""
        refs = [r for r in self.referrals
                if ENROLL_WITHIN + 1 <= (on - r[0]).days <= HORIZON - 1
                and not self.enrollments.get(r[1])]
        return len(refs), sum(1 for r in refs if r[2])


def format_number(v):
    """daemon FormatNumber: integers plain, else %.4f without trailing 0s."""
    if abs(v) < 1e15 and v == math.floor(v):
        return str(int(v))
    return f"{v:.4f}".rstrip("0").rstrip(".")


def percent(v):
    return f"{v * 100:.1f}%"


def enrollment_rate_description(provider, program, contract, goal, window_days,
                                target, enrolled, sample, stalled, stalled_prio):
    """The default description of an enrollment_rate goal in shortfall
    (daemon/alerts/alert_text.cc), spelled out independently."""
    s = (f"Provider {provider}'s enrollment rate in program {program} is "
         f"{percent(enrolled / sample)} over the last {window_days}d, below the "
         f"target of {percent(target)} set by contract {contract} (goal {goal}; "
         f"sample size {sample} referrals). {enrolled} of {sample} referrals made "
         f"{ENROLL_WITHIN + 1}-{ENROLL_WITHIN + window_days} days ago enrolled "
         f"within {ENROLL_WITHIN} days.")
    if stalled:
        s += (f" {stalled} referrals older than {ENROLL_WITHIN} days (within the "
              f"last {HORIZON} days) are not enrolled; {stalled_prio} are "
              "priority-population clients.")
    return s


def event_json_to_dict(ev, **changes):
    """A simulator event (proto3 JSON) as harness.encode_event input."""
    out = {"event_id": ev["eventId"], "type": kind(ev),
           "occurred_at": parse_time(ev["occurredAt"]).timestamp(),
           "provider_id": ev["providerId"], "program_id": ev["programId"],
           "contract_id": ev.get("contractId", ""), "client_key": ev["clientKey"],
           "priority_groups": ev.get("priorityGroups", []),
           "attributes": ev.get("attributes", {})}
    out.update(changes)
    return out


def produce(bootstrap, events):
    """Produces binary events with kcat, keyed by provider like the simulator
    (librdkafka's partitioner on both sides: same key, same partition)."""
    by_key = {}
    for ev in events:
        by_key.setdefault(ev["provider_id"], []).append(encode_event(ev))
    for key, values in by_key.items():
        kcat_produce_files(bootstrap, TOPIC, key, values)
