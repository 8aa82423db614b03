"""Integration: `outcomesctl backtest` run as a contract manager would, on the
hand-made history of tests/backtest (transitions computed by hand in
tests/backtest/README.md), with exact output; malformed event lines and dates
give a precise error and a non-zero exit."""
import os
import subprocess
import tempfile
import unittest

from harness import REPO, binary

FIXTURE = os.path.join(REPO, "tests", "backtest")
SETTINGS = ["--windows=3d", "--enroll_within=1", "--horizon=30"]


def backtest(*args, events=os.path.join(FIXTURE, "history.jsonl")):
    cmd = [binary("outcomesctl"), "backtest",
           "--rules=" + os.path.join(FIXTURE, "rules.yaml"),
           "--events=" + events, *SETTINGS, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


class BacktestTest(unittest.TestCase):
    def test_output_is_exactly_the_hand_computed_one(self):
        out = backtest()
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stderr, "")
        with open(os.path.join(FIXTURE, "expected.txt")) as f:
            self.assertEqual(out.stdout, f.read())

    def test_to_limits_the_days(self):
        out = backtest("--from=2025-03-01", "--to=2025-03-09")
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
        self.assertEqual(len(lines), 2)  # only the day-7 transitions
        self.assertIn("backtest 2025-03-01 .. 2025-03-09 (9 days)", out.stdout)

    def test_malformed_line_names_file_and_line(self):
        with open(os.path.join(FIXTURE, "history.jsonl")) as f:
            lines = f.read().splitlines()
        lines.insert(4, '{"eventId": "x", "type": "EVENT_TYPE_REFERRAL"}')
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as bad:
            bad.write("\n".join(lines) + "\n")
            bad.flush()
            out = backtest(events=bad.name)
        self.assertEqual(out.returncode, 1)
        self.assertEqual(out.stdout, "")
        self.assertEqual(out.stderr, f"outcomesctl backtest: {bad.name}:5: "
                         "missing_field: occurred_at is required\n")

    def test_malformed_dates_are_usage_errors(self):
        for flag in ("--from=2025-02-30", "--to=03/01/2025", "--from="):
            out = backtest(flag)
            self.assertEqual(out.returncode, 2, flag)
            value = flag.split("=", 1)[1]
            name = flag.split("=", 1)[0][2:]
            self.assertTrue(out.stderr.startswith(
                f'outcomesctl backtest: --{name}: "{value}" is not a date of '
                "the form YYYY-MM-DD\n"), out.stderr)

    def test_from_after_to(self):
        out = backtest("--from=2025-03-05", "--to=2025-03-04")
        self.assertEqual(out.returncode, 1)
        self.assertEqual(out.stderr, "outcomesctl backtest: --from=2025-03-05 "
                         "is after --to=2025-03-04\n")

    def test_missing_events_file(self):
        out = backtest(events="/nonexistent/history.jsonl")
        self.assertEqual(out.returncode, 1)
        self.assertIn("/nonexistent/history.jsonl: No such file", out.stderr)


if __name__ == "__main__":
    unittest.main()
