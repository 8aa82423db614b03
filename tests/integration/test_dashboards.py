"""Integration: the Grafana dashboards and the SRE rules against real components.

No Grafana server can be installed here (tests/integration/harness.py), so every panel's
PromQL of grafana/*.json runs against a real Prometheus scraping a real
outcomesd, which consumes a simulated agency from outcomes-broker and sends
its alerts to a real Alertmanager. Each query must return data, except the
panels listed in MAY_BE_EMPTY (with the reason). The same Prometheus loads
rules/prometheus/outcomesd.rules.yaml: every rule must load and evaluate, every
metric the rules name must exist, and a healthy daemon raises no SRE alert.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from harness import make_broker, Daemon, Process, binary, free_port, wait_until

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
from grafana_queries import (BUILTINS, VAR_RE, label_values, panels_of,  # noqa: E402
                             substitute, variable_values)

# Every dashboard in grafana/, by uid; the four this project ships.
DASHBOARDS = {json.load(open(path))["uid"]: path
              for path in sorted(glob.glob(os.path.join(REPO, "grafana", "*.json")))}
EXPECTED_UIDS = {"outcomes-contract-overview", "outcomes-contract-performance",
                 "outcomes-equity", "outcomesd-overview"}
# Dashboards with a program (a contract's providers) to pick.
CONTRACT_DASHBOARDS = ("outcomes-contract-overview", "outcomes-contract-performance",
                       "outcomes-equity")
# (dashboard uid, panel title) -> why a fixed threshold of 0.8 is right there:
# only where no contract goal's target exists for what the panel compares.
FIXED_THRESHOLD_OK = {
    ("outcomes-equity", "Completion rate ÷ best group's"):
        "no goal judges completion equity; 0.8 is the four-fifths rule itself",
    ("outcomes-equity", "Lowest completion ratio per provider"):
        "no goal judges completion equity; 0.8 is the four-fifths rule itself",
}
SRE_RULES = os.path.join(REPO, "rules", "prometheus", "outcomesd.rules.yaml")

# (dashboard uid, panel title) -> why the panel may legitimately be empty.
MAY_BE_EMPTY = {
    ("outcomesd-overview", "SRE alerts (Prometheus)"):
        "lists firing SRE alerts; a healthy daemon has none",
}
# Additionally allowed empty when one provider is selected (not "All").
MAY_BE_EMPTY_ONE_PROVIDER = {
    ("outcomes-contract-performance", "Completion rate by group"):
        "small-cell suppression: a group's rate is absent below --min_cell (11) "
        "completions + disenrollments, common for one provider in 30 days",
}

def http_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read().decode())


def http_ok(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except (OSError, urllib.error.HTTPError):
        return False


class Prometheus(Process):
    def __init__(self, config, workdir):
        self.port = free_port()
        path = os.path.join(workdir, "prometheus.yml")
        with open(path, "w") as f:
            json.dump(config, f)  # JSON is YAML
        super().__init__(
            ["prometheus", f"--config.file={path}",
             f"--storage.tsdb.path={os.path.join(workdir, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{self.port}",
             "--log.level=warn"], "prometheus")
        self.url = f"http://127.0.0.1:{self.port}"
        wait_until(self.ready, 30, "prometheus /-/ready", interval=0.2)

    def ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError("prometheus exited:\n" + self.log_text())
        return http_ok(self.url + "/-/ready")

    def api(self, path, **params):
        query = urllib.parse.urlencode(params, doseq=True)
        body = http_json(f"{self.url}/api/v1/{path}?{query}")
        if body.get("status") != "success":
            raise AssertionError(f"{path} {params}: {body}")
        return body["data"]

    def query(self, expr):
        try:
            return self.api("query", query=expr)["result"]
        except urllib.error.HTTPError as e:
            raise AssertionError(f"query {expr!r} failed: {e.read().decode()}")


class DashboardsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.started = time.monotonic()
        cls.tmp = tempfile.mkdtemp(prefix="dashboards-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)

        cls.broker = make_broker(partitions=4)
        cls.addClassCleanup(cls.broker.close)
        # 60 days of a 20-provider agency, then ~20 live events/s, so rates,
        # batch latencies and the reject ratio have something to show.
        cls.simulator = Process(
            [binary("outcomes-simulate"), f"--brokers={cls.broker.bootstrap}",
             "--providers=20", "--days=60", "--rate=20"], "simulate")
        cls.addClassCleanup(cls.simulator.close)

        am_port = free_port()
        am_config = os.path.join(cls.tmp, "alertmanager.yml")
        with open(am_config, "w") as f:
            json.dump({"route": {"receiver": "null", "group_wait": "1s"},
                       "receivers": [{"name": "null"}]}, f)
        cls.alertmanager = Process(
            ["prometheus-alertmanager", f"--config.file={am_config}",
             f"--storage.path={os.path.join(cls.tmp, 'am')}",
             f"--web.listen-address=127.0.0.1:{am_port}",
             "--cluster.listen-address=", "--log.level=warn"], "alertmanager")
        cls.addClassCleanup(cls.alertmanager.close)
        wait_until(lambda: http_ok(f"http://127.0.0.1:{am_port}/-/ready"), 30,
                   "alertmanager /-/ready", interval=0.2)

        state = os.path.join(cls.tmp, "state")
        cls.daemon = Daemon(cls.broker.bootstrap, f"--rules={REPO}/rules",
                            f"--alertmanager.url=http://127.0.0.1:{am_port}",
                            f"--state.dir={state}", group="dashboards")
        cls.addClassCleanup(cls.daemon.close)
        wait_until(cls.daemon.ready, 60, "outcomesd ready", interval=0.2)

        cls.prometheus = Prometheus({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [SRE_RULES],
            "scrape_configs": [{
                "job_name": "outcomesd",
                "static_configs": [{"targets": [f"127.0.0.1:{cls.daemon.port}"]}],
            }],
        }, cls.tmp)
        cls.addClassCleanup(cls.prometheus.close)
        # rate() needs two samples; firing shortfall alerts appear after the
        # first goal evaluation.
        for expr in ("rate(outcomes_events_total[1m])",
                     "rate(outcomes_batch_processing_seconds_count[1m]) > 0",
                     'outcomes_alerts{alertstate="firing"}',
                     "rate(outcomes_notifier_sends_total[1m])"):
            wait_until(lambda: cls.prometheus.query(expr), 60,
                       f"prometheus to have {expr}", interval=0.25)
        print(f"setup took {time.monotonic() - cls.started:.1f}s", flush=True)

    @classmethod
    def load(cls, uid):
        with open(DASHBOARDS[uid]) as f:
            return json.load(f)

    # ---- structure ---------------------------------------------------------

    def test_dashboard_structure(self):
        for uid, path in DASHBOARDS.items():
            with self.subTest(dashboard=path):
                d = self.load(uid)
                self.assertEqual(d["uid"], uid)
                self.assertTrue(d["title"])
                self.assertIsInstance(d["schemaVersion"], int)
                variables = {v["name"]: v for v in d["templating"]["list"]}
                self.assertEqual(variables["datasource"]["type"], "datasource")
                self.assertEqual(variables["datasource"]["query"], "prometheus")
                ids = [p["id"] for p in d["panels"]] + [
                    q["id"] for p in d["panels"] for q in p.get("panels", [])]
                self.assertEqual(len(ids), len(set(ids)), "panel ids are unique")
                panels = panels_of(d)
                self.assertGreater(len(panels), 5)
                cells = {}
                for p in d["panels"]:  # top level: rows are not collapsed
                    g = p["gridPos"]
                    for x in range(g["x"], g["x"] + g["w"]):
                        for y in range(g["y"], g["y"] + g["h"]):
                            self.assertNotIn((x, y), cells,
                                             f"{path}: {p['title']!r} overlaps")
                            cells[(x, y)] = p["title"]
                for p in panels:
                    where = f"{path}: panel {p.get('title')!r}"
                    self.assertTrue(p.get("title"), where)
                    self.assertIn("type", p, where)
                    g = p["gridPos"]
                    self.assertLessEqual(g["x"] + g["w"], 24, where)
                    self.assertEqual(p["datasource"]["uid"], "${datasource}", where)
                    self.assertTrue(p.get("targets"), where + " has no targets")
                    refs = [t["refId"] for t in p["targets"]]
                    self.assertEqual(len(refs), len(set(refs)), where)
                    for t in p["targets"]:
                        self.assertTrue(t.get("expr"), where + " target without expr")
                        for m in VAR_RE.finditer(t["expr"]):
                            name = m.group(1) or m.group(2) or m.group(3)
                            self.assertTrue(name in variables or name in BUILTINS,
                                            f"{where}: undefined ${name}")
                        self.assertNotIn("client_key", t["expr"], where)
        self.assertEqual(set(DASHBOARDS), EXPECTED_UIDS)
        for uid in DASHBOARDS:
            variables = self.load(uid)["templating"]["list"]
            for v in variables:
                with self.subTest(dashboard=uid, variable=v["name"]):
                    # Nothing typed in: every variable is read from the data.
                    self.assertIn(v["type"], ("datasource", "query"))
                    if v["type"] == "query":
                        self.assertTrue(v["definition"].startswith("label_values("))
                        self.assertEqual(v["definition"], v["query"])
        for uid in CONTRACT_DASHBOARDS:
            contract = {v["name"]: v for v in self.load(uid)["templating"]["list"]}
            for name in ("provider", "program", "window"):
                self.assertIn(name, contract, uid)
            self.assertTrue(contract["provider"]["multi"], uid)
            self.assertTrue(contract["provider"]["includeAll"], uid)

    def test_dashboards_link_to_each_other(self):
        """Each dashboard's links reach every other one, carrying the
        variables and time range; every /d/ link (dashboard or panel data
        link) names a dashboard that exists, and provider data links pass
        the provider and program."""
        for uid in DASHBOARDS:
            with self.subTest(dashboard=uid):
                d = self.load(uid)
                targets = set()
                for link in d.get("links", []):
                    m = re.match(r"/d/([\w-]+)", link.get("url", ""))
                    self.assertIsNotNone(m, f"{uid}: link {link}")
                    self.assertTrue(link.get("includeVars"), f"{uid}: {link}")
                    self.assertTrue(link.get("keepTime"), f"{uid}: {link}")
                    targets.add(m.group(1))
                self.assertEqual(targets, EXPECTED_UIDS - {uid})
                for p in panels_of(d):
                    data_links = p.get("links", []) + \
                        p.get("fieldConfig", {}).get("defaults", {}).get("links", [])
                    for link in data_links:
                        m = re.match(r"/d/([\w-]+)", link["url"])
                        self.assertIsNotNone(m, f"{uid} {p['title']!r}: {link}")
                        self.assertIn(m.group(1), DASHBOARDS, f"{uid} {p['title']!r}")
                        if re.search(r"__(data\.fields|field\.labels)\.provider", link["url"]):
                            self.assertIn("var-program=${program}", link["url"])
        # The overview reaches each provider's detail from its panels.
        overview = self.load("outcomes-contract-overview")
        detail_links = [l["url"] for p in panels_of(overview)
                        for l in p["fieldConfig"]["defaults"].get("links", [])
                        if l["url"].startswith("/d/outcomes-contract-performance?")]
        self.assertTrue(detail_links)

    def test_thresholds_come_from_goal_targets(self):
        """No panel has a fixed 0.8 threshold where a goal target exists (the
        one exception says why); panels comparing with a goal read
        outcomes_goal_target."""
        for uid in DASHBOARDS:
            for p in panels_of(self.load(uid)):
                where = (uid, p["title"])
                defaults = p.get("fieldConfig", {}).get("defaults", {})
                steps = [s.get("value") for s in
                         defaults.get("thresholds", {}).get("steps", [])]
                for o in p.get("fieldConfig", {}).get("overrides", []):
                    for prop in o.get("properties", []):
                        if prop["id"] == "thresholds":
                            steps += [s.get("value") for s in prop["value"]["steps"]]
                fixed = [v for v in steps if v == 0.8]
                if where in FIXED_THRESHOLD_OK:
                    self.assertTrue(fixed, f"{where} no longer needs its exception")
                    exprs = " ".join(t["expr"] for t in p["targets"])
                    self.assertNotIn("outcomes_goal_target", exprs)
                else:
                    self.assertEqual(fixed, [], f"{where}: fixed 0.8 threshold")
                if re.search(r"vs target|÷|ranked", p["title"], re.I) \
                        and where not in FIXED_THRESHOLD_OK:
                    exprs = " ".join(t["expr"] for t in p["targets"])
                    self.assertIn("outcomes_goal_target", exprs, f"{where}")

    # ---- every panel returns data -------------------------------------------

    def label_values(self, query, values):
        return label_values(self.prometheus.api, query, values)

    def variable_values(self, dashboard, choose):
        """grafana_queries.variable_values against this Prometheus."""
        return variable_values(self.prometheus.api, dashboard, choose)

    def run_panels(self, uid, values, allowed_empty):
        d = self.load(uid)
        empty, ran = [], 0
        for p in panels_of(d):
            for t in p["targets"]:
                expr = substitute(t["expr"], values)
                result = self.prometheus.query(expr)
                ran += 1
                if not result and (uid, p["title"]) not in allowed_empty:
                    empty.append(f"{p['title']!r} {t['refId']}: {expr}")
        self.assertEqual(empty, [], f"{uid} with {values}: panels without data")
        return ran

    def firing(self):
        alerts = self.prometheus.query('outcomes_alerts{alertstate="firing"}')
        self.assertTrue(alerts)
        return sorted((a["metric"]["program"], a["metric"]["provider"]) for a in alerts)

    def test_every_panel_returns_data(self):
        program, provider = self.firing()[0]
        # The equity goal (group_rate_ratio) is in one program's rules only.
        equity = self.prometheus.query('outcomes_goal_target{goal="enrollment-equity"}')
        self.assertTrue(equity)
        programs = {"outcomes-equity": equity[0]["metric"]["program"]}
        ran = 0
        # The default view: a program, all its providers.
        for uid in DASHBOARDS:
            chosen = programs.get(uid, program)
            values = self.variable_values(
                self.load(uid), lambda name, options: chosen if name == "program" else None)
            if "program" in values:
                self.assertIn(chosen, self.label_values(
                    "label_values(outcomes_window_events, program)", {}))
            ran += self.run_panels(uid, values, MAY_BE_EMPTY)
        # One provider with a firing shortfall alert.
        for uid in ("outcomes-contract-performance", "outcomes-contract-overview"):
            choices = {"program": program, "provider": provider}
            values = self.variable_values(self.load(uid),
                                          lambda name, options: choices.get(name))
            self.assertIn(provider, self.label_values(
                'label_values(outcomes_window_events{program="$program"}, provider)', values))
            ran += self.run_panels(uid, values, {**MAY_BE_EMPTY, **MAY_BE_EMPTY_ONE_PROVIDER})
        print(f"{ran} panel queries returned data", flush=True)

    # ---- the README's PNG ----------------------------------------------------

    def test_render_dashboard_png(self):
        """scripts/render-dashboard draws Provider detail from this live data
        for a provider with a firing alert and subgroup completion rates:
        a PNG of the whole grid, and every panel had data. With
        OUTCOMES_DASHBOARD_PNG set, the PNG is written there (how
        docs/images/dashboard-provider-detail.png is made)."""
        # The renderer shows the window variable's default (30d): the provider
        # needs completion group rates in that window, not just in any.
        window = self.load("outcomes-contract-performance")
        window = next(v for v in window["templating"]["list"]
                      if v["name"] == "window")["current"]["value"]
        both = self.prometheus.query(
            'count by (program, provider) (outcomes_group_rate{metric="completion_rate",'
            f' window="{window}"}})'
            ' and on (program, provider) count by (program, provider)'
            ' (outcomes_alerts{alertstate="firing"})')
        self.assertTrue(both, "no provider with a firing alert and group rates")
        chosen = sorted((r["metric"]["program"], r["metric"]["provider"]) for r in both)[0]
        out = os.environ.get("OUTCOMES_DASHBOARD_PNG") or os.path.join(self.tmp, "d.png")
        report = os.path.join(self.tmp, "report.json")
        r = subprocess.run(
            [sys.executable, os.path.join(REPO, "scripts", "render-dashboard"),
             f"--prometheus={self.prometheus.url}",
             f"--dashboard={DASHBOARDS['outcomes-contract-performance']}",
             f"--var=program={chosen[0]}", f"--var=provider={chosen[1]}",
             f"--var=window={window}",
             f"--out={out}", f"--report={report}"],
            capture_output=True, text=True, timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(report) as f:
            panels = json.load(f)["panels"]
        dashboard = self.load("outcomes-contract-performance")
        self.assertEqual([p["title"] for p in panels],
                         [p["title"] for p in panels_of(dashboard)])
        self.assertEqual([p["title"] for p in panels if p["series"] == 0], [],
                         "panels drawn without data")
        with open(out, "rb") as f:
            png = f.read()
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        bottom = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in dashboard["panels"])
        self.assertEqual(width, 1400)
        self.assertGreaterEqual(height, bottom * 30)  # the whole grid, 30 px a unit
        self.assertGreater(len(png), 50_000, "a blank page compresses far smaller")
        print(f"rendered {out} ({width}x{height}) for {chosen}", flush=True)

    # ---- SRE rules in the same Prometheus -----------------------------------

    def test_sre_rules_load_and_evaluate(self):
        with open(SRE_RULES) as f:
            text = f.read()
        alerts = re.findall(r"^\s*- alert:\s*(\S+)", text, re.M)
        records = re.findall(r"^\s*- record:\s*(\S+)", text, re.M)
        self.assertGreaterEqual(len(alerts), 8)

        def evaluated():
            groups = self.prometheus.api("rules")["groups"]
            rules = [r for g in groups for r in g["rules"]]
            if len(rules) != len(alerts) + len(records):
                return None
            if any(r["health"] == "unknown" for r in rules):
                return None  # not evaluated yet
            return groups
        groups = wait_until(evaluated, 30, "SRE rules evaluated", interval=0.25)
        self.assertEqual({g["name"] for g in groups},
                         {"outcomesd.recording", "outcomesd.alerts"})
        rules = [r for g in groups for r in g["rules"]]
        for r in rules:
            self.assertEqual(r["health"], "ok", f"{r['name']}: {r.get('lastError')}")
        self.assertEqual(sorted(r["name"] for r in rules if r["type"] == "alerting"),
                         sorted(alerts))
        # Every metric a rule reads is one the daemon exports (with an
        # Alertmanager configured); a typo would otherwise just never fire.
        names = set(self.prometheus.api("label/__name__/values"))
        used = {m for r in rules for m in re.findall(r"\boutcomes_[a-z_]+", r["query"])}
        self.assertTrue(used)
        self.assertEqual(sorted(used - names), [],
                         "metrics the rules use but nobody exports")
        # Recording rules produce series from the real metrics (job label).
        for record in records:
            wait_until(lambda: self.prometheus.query(record), 20,
                       f"recording rule {record}", interval=0.25)
        # A healthy daemon raises no SRE alert, not even pending.
        active = self.prometheus.api("alerts")["alerts"]
        self.assertEqual([a["labels"]["alertname"] for a in active], [])

    @classmethod
    def tearDownClass(cls):
        print(f"total {time.monotonic() - cls.started:.1f}s", flush=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
