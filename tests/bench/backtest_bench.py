"""Backtest speed (issue 10): events/s of `outcomesctl backtest` over a year
of simulated history. Writes the history with outcomes-simulate (fixed seed
and --now, so every run reads the same file), runs the backtest with the
shipped rules/ and prints one line: events, wall and CPU seconds, events/s
on both, peak RSS. The CPU figure is the steadier one on a shared machine.

  python3 tests/bench/backtest_bench.py --build=build [--providers=100]
      [--json=FILE]
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

from benchlib import REPO, cpu_seconds, write_json


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--providers", type=int, default=100)
    ap.add_argument("--json")
    args = ap.parse_args()
    simulate = os.path.join(args.build, "daemon", "tools", "outcomes-simulate")
    ctl = os.path.join(args.build, "daemon", "ctl", "outcomesctl")
    with tempfile.TemporaryDirectory() as tmp:
        history = os.path.join(tmp, "year.jsonl")
        subprocess.run([simulate, "--seed=1", f"--providers={args.providers}",
                        "--days=365", "--now=2025-12-31T23:00:00Z",
                        "--out=" + history], check=True,
                       stderr=subprocess.DEVNULL)
        with open(history) as f:
            events = sum(1 for _ in f)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        out = subprocess.run([ctl, "backtest", "--rules=" +
                              os.path.join(REPO, "rules"),
                              "--events=" + history],
                             capture_output=True, text=True)
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        sys.exit(f"backtest failed: {out.stderr}")
    cpu = cpu_seconds(after) - cpu_seconds(before)
    result = {"events": events, "providers": args.providers, "days": 365,
              "wall_seconds": wall, "cpu_seconds": cpu,
              "events_per_second_wall": events / wall,
              "events_per_second_cpu": events / cpu,
              "peak_rss_mib": after.ru_maxrss / 1024}
    print(f"backtest, a year of simulated history ({events:,} events, "
          f"{args.providers} providers, rules/): "
          f"{result['events_per_second_cpu'] / 1e3:.0f} k events/s CPU "
          f"({cpu:.1f} s), {result['events_per_second_wall'] / 1e3:.0f} k/s "
          f"wall ({wall:.1f} s), peak RSS {result['peak_rss_mib']:.0f} MiB")
    write_json(args.json, result)


if __name__ == "__main__":
    main()
