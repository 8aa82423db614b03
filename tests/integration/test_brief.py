"""Integration (issue 10, docs/design.md, "Brief, payments and backtest"): the provider meeting brief.

outcomes-simulate (fixed seed, --out) -> outcomes-broker -> outcomesd with
the demo rules (rules/demo). Checks:

- /api/v1/briefs/{provider}: figures equal /api/v1/providers/{id} and the
  from-scratch reference (reference.py); funnel counts per period equal the
  reference's events per type with day in the period; goal values, status
  and ranks follow from the reference figures; alerts equal the provider's
  pending/firing ones at /api/v1/alerts;
- 404 (unknown provider or program) and 400 (bad period, bad as_of) with
  their reasons;
- /briefs/{provider} loaded in headless chromium: the DOM has the funnel
  SVG, the goals table and the points to discuss, and nothing refers to an
  external URL; a screenshot is taken;
- outcomesctl brief in json, markdown and html formats, and its errors.
"""
import datetime
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import reference as ref
from harness import REPO, make_broker, Daemon, binary, wait_until

SETTINGS = ref.Settings()
PROVIDER = "prov-001"   # the simulator's deliberately short provider
PROGRAM = "workforce"
RULES = os.path.join(REPO, "rules", "demo")
GOALS = {  # rules/demo/workforce.yaml: goal -> (metric, window, min_sample)
    "enrollment-rate": ("enrollment_rate", 30, 20),
    "completion-rate": ("completion_rate", 90, 20),
    "stalled-referrals": ("stalled_referrals", None, 0),
}


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    raise unittest.SkipTest("chromium is not installed (scripts/setup)")


def month_periods(today, n):
    """The last n calendar months up to today's, oldest first."""
    out = []
    y, m = today.year, today.month
    for _ in range(n):
        start = datetime.date(y, m, 1)
        nxt = datetime.date(y + (m == 12), m % 12 + 1, 1)
        out.append((start, nxt - datetime.timedelta(days=1)))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


class BriefTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="brief-")
        cls.broker = make_broker(partitions=4)
        try:
            sim_file = os.path.join(cls.tmp, "sim.jsonl")
            sim = subprocess.run(
                [binary("outcomes-simulate"),
                 f"--brokers={cls.broker.bootstrap}", f"--out={sim_file}",
                 "--seed=42", "--providers=12", "--days=60", "--rate=0"],
                capture_output=True, timeout=120)
            assert sim.returncode == 0, sim.stderr.decode()
            cls.events = ref.load_jsonl(sim_file)
            cls.daemon = Daemon(cls.broker.bootstrap, f"--rules={RULES}",
                                group="brief", name="brief")
        except BaseException:
            cls.broker.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.daemon.close()
        cls.broker.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def settled_brief(self):
        """(brief, detail, alerts, today) once every event is counted and an
        alert of PROVIDER fires, all from one agency day."""
        d = self.daemon
        wait_until(d.ready, 90, "outcomesd ready")
        want = len(ref.dedupe(self.events))

        def counted():
            m = d.metrics()
            return sum(v for k, v in m.items()
                       if k.startswith("outcomes_events_total")) >= want

        def firing():
            return any(a["state"] == "firing"
                       and a["labels"]["provider"] == PROVIDER
                       for a in d.json("/api/v1/alerts")["alerts"])
        wait_until(counted, 90, "every event counted")
        wait_until(firing, 60, f"an alert of {PROVIDER} firing")
        for _ in range(3):
            brief = d.json(f"/api/v1/briefs/{PROVIDER}?program={PROGRAM}")
            detail = d.json(f"/api/v1/providers/{PROVIDER}")
            alerts = d.json("/api/v1/alerts")["alerts"]
            self.payments = d.json("/api/v1/payments")
            again = d.json(f"/api/v1/briefs/{PROVIDER}?program={PROGRAM}")
            if brief == again and brief["as_of"] == detail["day"]:
                return (brief, detail, alerts,
                        datetime.date.fromisoformat(brief["as_of"]))
        self.fail("the brief kept changing")

    def test_brief_figures_equal_the_api_and_the_reference(self):
        brief, detail, alerts, today = self.settled_brief()
        figures = ref.compute(self.events, today, SETTINGS)
        mine = figures[(PROVIDER, PROGRAM)]
        self.assertEqual(brief["provider"], PROVIDER)
        self.assertEqual(brief["program"], PROGRAM)
        # Every partition is ready (settled_brief waited for /readyz).
        self.assertIs(brief["ready"], True)

        # Headline figures: the same as /api/v1/providers/{id} and the
        # reference.
        program = next(p for p in detail["programs"]
                       if p["program"] == PROGRAM)
        w30 = next(w for w in program["windows"] if w["window"] == "30d")
        self.assertEqual(brief["stalled_referrals"],
                         program["stalled_referrals"])
        self.assertEqual(brief["stalled_referrals"], mine.stalled_referrals)
        self.assertEqual(brief["stalled_priority_referrals"],
                         mine.stalled_priority_referrals)
        self.assertEqual(brief["priority_share"], w30["priority_share"])
        self.assertEqual(brief["days_to_enroll"], w30["days_to_enroll"])
        self.assertEqual(brief["days_to_enroll"]["p50"], mine.windows[30].p50)
        self.assertEqual(sorted(map(json.dumps, brief["groups"])),
                         sorted(map(json.dumps, w30["groups"])))
        self.assertTrue(any(g["suppressed"] and "value" not in g
                            for g in brief["groups"]) or
                        all(not g["suppressed"] for g in w30["groups"]))

        # Funnel per period: events per type with day in the period.
        unique = ref.dedupe(self.events)
        periods = month_periods(today, 6)
        self.assertEqual(brief["period"], {
            "kind": "month",
            "current": {"start": str(periods[-1][0]),
                        "end": str(periods[-1][1])},
            "previous": {"start": str(periods[-2][0]),
                         "end": str(periods[-2][1])}})
        kept_from = today - datetime.timedelta(days=SETTINGS.horizon - 1)
        for (start, end), got in zip(periods, brief["trend"]):
            want = {t: 0 for t in ref.TYPES}
            for e in unique:
                day = ref.day_of(e.seconds, SETTINGS.timezone)
                if (e.provider, e.program) == (PROVIDER, PROGRAM) and \
                        max(start, kept_from) <= day <= min(end, today):
                    want[e.type] += 1
            self.assertEqual(got["events"], want, f"{start}..{end}")
            self.assertEqual(got["complete"], start >= kept_from)
        self.assertEqual(brief["funnel"]["current"],
                         brief["trend"][-1]["events"])
        self.assertEqual(brief["funnel"]["previous"],
                         brief["trend"][-2]["events"])
        self.assertGreater(brief["funnel"]["previous"]["referral"], 0)

        self.check_goals(brief, figures)
        own = sorted((a["labels"]["alertname"], a["labels"]["goal"],
                      a["state"]) for a in alerts
                     if a["labels"]["provider"] == PROVIDER
                     and a["labels"]["program"] == PROGRAM
                     and a["state"] in ("pending", "firing"))
        self.assertEqual(sorted((a["alertname"], a["goal"], a["state"])
                                for a in brief["alerts"]), own)
        self.assertTrue(own)
        for a in brief["alerts"]:
            self.assertRegex(a["since"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.check_payments(brief)

    def check_payments(self, brief):
        """The brief's payment lines are /api/v1/payments' for the provider:
        every component of every contract on the program, current and
        previous period."""
        want = []
        for contract in self.payments["contracts"]:
            if contract["program"] != PROGRAM:
                continue
            for p in contract["providers"]:
                if p["provider"] != PROVIDER:
                    continue
                for c in p["components"]:
                    for which in ("current", "previous"):
                        got = dict(c[which])
                        line = {"contract": contract["contract"],
                                "component": c["component"],
                                "period": {"start": got.pop("start"),
                                           "end": got.pop("end")},
                                "current": which == "current", **got}
                        line.setdefault("projected_units", None)
                        want.append(line)
        self.assertTrue(want, "the demo rules pay for the program")
        self.assertEqual(brief["payments"], want)

    def check_goals(self, brief, figures):
        """Values from the reference; rank among judged providers."""
        def value(f, metric, window):
            if metric == "stalled_referrals":
                return f.stalled_referrals, f.stalled_referrals
            r = getattr(f.windows[window], metric)
            return r.value(), r.denominator
        self.assertEqual([g["goal"] for g in brief["goals"]], list(GOALS))
        for g in brief["goals"]:
            metric, window, min_sample = GOALS[g["goal"]]
            v, sample = value(figures[(PROVIDER, PROGRAM)], metric, window)
            self.assertEqual(g["metric"], metric)
            self.assertEqual(g["sample_size"], sample)
            self.assertTrue(ref.isclose(g["value"], v), (g, v))
            judged = [value(f, metric, window)[0]
                      for (p, prog), f in figures.items()
                      if prog == PROGRAM
                      and value(f, metric, window)[1] >= min_sample
                      and value(f, metric, window)[0] is not None]
            self.assertEqual(g["of"], len(judged), g)
            if sample >= min_sample:
                better = [x for x in judged
                          if (x < v if g["direction"] == "max" else x > v)]
                self.assertEqual(g["rank"], len(better) + 1, g)
                self.assertIn(g["status"], ("met", "shortfall"))
            else:
                self.assertEqual((g["status"], g["rank"]), ("not_judged", None))
        self.assertIn("shortfall", [g["status"] for g in brief["goals"]])
        points = brief["points_to_discuss"]
        self.assertEqual(
            len([p for p in points if p.startswith("Goal ")]),
            len([g for g in brief["goals"] if g["status"] == "shortfall"]))

    def test_errors_have_reasons(self):
        d = self.daemon
        wait_until(d.ready, 90, "outcomesd ready")
        wait_until(lambda: d.get(f"/api/v1/briefs/{PROVIDER}")[0] == 200, 30,
                   "a first brief")
        cases = [
            (f"/api/v1/briefs/prov-none?program={PROGRAM}", 404,
             "unknown provider \"prov-none\""),
            (f"/api/v1/briefs/{PROVIDER}?program=nope", 404,
             "unknown program \"nope\""),
            (f"/api/v1/briefs/{PROVIDER}?program={PROGRAM}&period=year", 400,
             "period must be month or quarter"),
            (f"/briefs/prov-none?program={PROGRAM}", 404, "unknown provider"),
            (f"/api/v1/providers/{PROVIDER}?as_of=2026-13-01", 400,
             "as_of must be a date YYYY-MM-DD"),
            (f"/api/v1/providers/{PROVIDER}?as_of=1999-01-01", 400,
             "outside the horizon"),
        ]
        for path, status, reason in cases:
            got, body = d.get(path)
            self.assertEqual(got, status, path)
            self.assertIn(reason, json.loads(body)["error"], path)

    def test_page_in_chromium(self):
        brief, _, _, _ = self.settled_brief()
        url = (f"http://127.0.0.1:{self.daemon.port}/briefs/{PROVIDER}"
               f"?program={PROGRAM}&period=quarter")
        status, html = self.daemon.get(url.split(str(self.daemon.port), 1)[1])
        self.assertEqual(status, 200)
        self.assertFalse(re.search(r"""(src|href)\s*=\s*["']?https?:""", html,
                                   re.I), "external reference in the page")
        self.assertNotIn("<script", html)
        browser = chromium()
        profile = os.path.join(self.tmp, "chromium-profile")
        common = [browser, "--headless", "--no-sandbox", "--disable-gpu",
                  f"--user-data-dir={profile}"]
        dom = subprocess.run(common + ["--dump-dom", url], capture_output=True,
                             timeout=120, text=True)
        self.assertEqual(dom.returncode, 0, dom.stderr[-2000:])
        page = dom.stdout
        self.assertRegex(page, r'<svg id="funnel-chart"[^>]*>.*<rect')
        self.assertRegex(page, r'<svg id="trend-chart"[^>]*>.*<polyline')
        self.assertIn('id="goals-table"', page)
        self.assertRegex(page, r'<section id="points">.*<li>Goal ')
        self.assertIn(f"Meeting brief: {PROVIDER}", page)
        self.assertFalse(re.search(r"""(src|href)\s*=\s*["']?https?:""", page,
                                   re.I))
        png = os.path.join(self.tmp, "brief.png")
        shot = subprocess.run(common + [f"--screenshot={png}",
                                        "--window-size=1200,1600", url],
                              capture_output=True, timeout=120)
        self.assertEqual(shot.returncode, 0, shot.stderr[-2000:])
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertGreater(os.path.getsize(png), 20000)

    def ctl(self, *args):
        return subprocess.run([binary("outcomesctl"), "brief", *args],
                              capture_output=True, text=True, timeout=60)

    def test_outcomesctl_brief(self):
        brief, _, _, _ = self.settled_brief()
        url = f"--url=http://127.0.0.1:{self.daemon.port}"
        got = self.ctl(url, f"--provider={PROVIDER}", "--format=json")
        self.assertEqual(got.returncode, 0, got.stderr)
        from_ctl = json.loads(got.stdout)
        for key in ("provider", "program", "period", "funnel", "goals",
                    "stalled_referrals", "groups", "payments"):
            self.assertEqual(from_ctl[key], brief[key], key)
        md = self.ctl(url, f"--provider={PROVIDER}", f"--program={PROGRAM}",
                      "--format=markdown")
        self.assertEqual(md.returncode, 0, md.stderr)
        self.assertTrue(md.stdout.startswith(f"# Meeting brief: {PROVIDER}\n"))
        self.assertIn("## Points to discuss\n\n- Goal ", md.stdout)
        self.assertIn("| referral | "
                      f"{brief['funnel']['current']['referral']} | "
                      f"{brief['funnel']['previous']['referral']} |", md.stdout)
        out = os.path.join(self.tmp, "brief.html")
        html = self.ctl(url, f"--provider={PROVIDER}", "--period=quarter",
                        f"--out={out}")
        self.assertEqual(html.returncode, 0, html.stderr)
        with open(out) as f:
            page = f.read()
        self.assertIn('<svg id="funnel-chart"', page)
        self.assertIn("quarter", page)
        missing = self.ctl(url, "--provider=prov-none")
        self.assertEqual(missing.returncode, 1)
        self.assertIn("HTTP 404: unknown provider \"prov-none\"",
                      missing.stderr)
        self.assertEqual(self.ctl(url).returncode, 2)
        self.assertEqual(self.ctl(url, "--provider=x", "--format=pdf")
                         .returncode, 2)


if __name__ == "__main__":
    unittest.main()
