"""Integration (issue 9, Deliver 4): outcomesd's /metrics passes
`promtool check metrics` -- no error and no lint warning -- with every
family present: figures (including outcomes_time_to_enroll_seconds),
goals and alerts (the repository's rules), notifier metrics (an
Alertmanager URL with credentials, which must not appear), build info and
the process metrics.

outcomes-simulate -> outcomes-broker -> outcomesd; the scrape is taken once
the families exist (polled with a deadline).
"""
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import REPO, Daemon, Process, binary, make_broker, wait_until

# Families whose presence shows the scrape is a full one.
REQUIRED = ("outcomes_time_to_enroll_seconds", "outcomes_enrollment_rate",
            "outcomes_goal_value", "outcomes_notifier_failures_total",
            "outcomes_payment_units", "outcomes_payment_earned",
            "outcomes_build_info",
            "outcomes_last_evaluation_timestamp_seconds",
            "process_cpu_seconds_total",
            "process_resident_memory_bytes", "process_virtual_memory_bytes",
            "process_open_fds", "process_max_fds",
            "process_start_time_seconds")


DOC = os.path.join(REPO, "docs", "metrics.md")
BEGIN, END = "<!-- BEGIN metrics -->", "<!-- END metrics -->"


def reference_table(text):
    """The metrics reference rows (markdown) of a scrape: every family with
    its type, label names and help text, sorted by name."""
    types, helps, labels = {}, {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            labels.setdefault(name, set())
        elif line.startswith("# HELP "):
            _, _, name, help_text = (line.split(" ", 3) + [""])[:4]
            helps[name] = help_text
        elif line and not line.startswith("#") and "{" in line:
            name = line.split("{", 1)[0]
            for suffix in ("_bucket", "_sum", "_count"):
                if name not in types and name.endswith(suffix):
                    name = name[: -len(suffix)]
            body = line.split("{", 1)[1].rsplit("}", 1)[0]
            keys = {kv.split("=", 1)[0] for kv in body.split('",') if "=" in kv}
            labels.setdefault(name, set()).update(keys - {"le"})
    rows = ["| metric | type | labels | meaning |", "| --- | --- | --- | --- |"]
    for name in sorted(types):
        names = ", ".join(f"`{k}`" for k in sorted(labels.get(name, ())))
        meaning = helps.get(name, "").replace("|", "\\|")
        rows.append(f"| `{name}` | {types[name]} | {names} | {meaning} |")
    return "\n".join(rows)


def rows(table):
    """{name: (type, {label names})} of reference_table() rows."""
    out = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.split(" | ")]
        if len(cells) < 3 or not cells[0].startswith("| `"):
            continue
        labels = {l.strip("` ") for l in cells[2].split(",") if l.strip("` ")}
        out[cells[0][3:-1]] = (cells[1], labels)
    return out


def families(text):
    return {line.split()[2] for line in text.splitlines()
            if line.startswith("# TYPE ")}


class PromtoolCheckMetrics(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="promtool-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.broker = make_broker(partitions=2)
        cls.addClassCleanup(cls.broker.close)
        sim = subprocess.run(
            [binary("outcomes-simulate"), f"--brokers={cls.broker.bootstrap}",
             "--seed=9", "--providers=4", "--programs=2", "--days=60",
             "--rate=0"], capture_output=True, timeout=120)
        assert sim.returncode == 0, sim.stderr.decode()
        # Nothing listens here: the notifier's failure counters get series.
        cls.started = time.time()
        cls.daemon = Daemon(
            cls.broker.bootstrap, f"--rules={REPO}/rules",
            "--alertmanager.url=http://user:secret@127.0.0.1:9/",
            group="promtool")
        cls.addClassCleanup(cls.daemon.close)

    def scrape_when_complete(self):
        def complete():
            status, text = self.daemon.get("/metrics")
            present = families(text) if status == 200 else set()
            return text if all(f in present for f in REQUIRED) else None
        return wait_until(complete, 60, "every family on /metrics",
                          interval=0.2)

    def test_promtool_check_metrics_is_clean(self):
        text = self.scrape_when_complete()
        check = subprocess.run(["promtool", "check", "metrics"],
                               input=text.encode(), capture_output=True,
                               timeout=60)
        out = (check.stdout + check.stderr).decode()
        self.assertEqual(check.returncode, 0, out)
        self.assertEqual(out.strip(), "", out)

    def test_build_info_and_process_metrics(self):
        text = self.scrape_when_complete()
        info = [line for line in text.splitlines()
                if line.startswith("outcomes_build_info{")]
        self.assertEqual(len(info), 1, info)
        self.assertRegex(info[0], r'version="\d+\.\d+\.\d+"')
        self.assertRegex(info[0], r'revision="([0-9a-f]{12}|unknown)"')
        self.assertTrue(info[0].endswith("} 1"), info[0])
        values = {line.split()[0]: float(line.split()[1])
                  for line in text.splitlines()
                  if line.startswith("process_")}
        self.assertGreater(values["process_resident_memory_bytes"], 1e6)
        self.assertGreater(values["process_open_fds"], 3)
        self.assertLessEqual(values["process_open_fds"],
                             values["process_max_fds"])
        self.assertAlmostEqual(values["process_start_time_seconds"],
                               self.started, delta=30)

    def test_metrics_reference_matches_the_scrape(self):
        """docs/metrics.md lists exactly the families of this scrape.
        OUTCOMES_UPDATE_DOCS=1 rewrites it (scripts/gen-metrics-reference)."""
        table = reference_table(self.scrape_when_complete())
        with open(DOC) as f:
            doc = f.read()
        start, end = doc.index(BEGIN) + len(BEGIN), doc.index(END)
        if os.environ.get("OUTCOMES_UPDATE_DOCS") == "1":
            with open(DOC, "w") as f:
                f.write(doc[:start] + "\n" + table + "\n" + doc[end:])
            return
        # Names and types must match; a family's labels in this scrape must
        # be among the documented ones (a family without series yet, e.g.
        # no alert pending at this instant, shows no labels).
        documented, scraped = rows(doc[start:end]), rows(table)
        stale = "docs/metrics.md is stale: run scripts/gen-metrics-reference"
        self.assertEqual(sorted(documented), sorted(scraped), stale)
        for name, (kind, labels) in scraped.items():
            self.assertEqual(documented[name][0], kind, f"{name}: {stale}")
            self.assertLessEqual(labels, documented[name][1], f"{name}: {stale}")

    def test_last_evaluation_timestamp_is_recent(self):
        def evaluated_now():
            for line in self.scrape_when_complete().splitlines():
                if line.startswith("outcomes_last_evaluation_timestamp_seconds "):
                    return abs(float(line.split()[1]) - time.time()) < 5
            return False
        # --eval.interval=1s (harness): it keeps advancing.
        wait_until(evaluated_now, 20, "a last evaluation within 5 s")

    def test_days_to_enroll_is_gone_and_seconds_are_whole_days(self):
        text = self.scrape_when_complete()
        self.assertNotIn("outcomes_days_to_enroll", text)
        self.assertNotIn('quantile="', text)
        values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                  if line.startswith("outcomes_time_to_enroll_seconds{")]
        self.assertTrue(values)
        for v in values:
            self.assertEqual(v % 86400, 0, v)

    def test_alertmanager_label_has_no_credentials(self):
        text = self.scrape_when_complete()
        self.assertNotIn("secret", text)
        self.assertIn('outcomes_notifier_failures_total{'
                      'alertmanager="http://127.0.0.1:9/",'
                      'notifier="alertmanager"}', text)


if __name__ == "__main__":
    unittest.main()
