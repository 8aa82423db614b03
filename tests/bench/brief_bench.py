#!/usr/bin/env python3
"""Brief render time for a 1,000-provider program (issue 10, closing note).

  1. outcomes-broker (mock cluster, --partitions) and outcomes-simulate:
     --providers providers, all in ONE program (--programs=1: workforce),
     --days of history ending now, --referrals_per_day each;
  2. outcomesd with rules/demo (demo-workforce carries a payments block, so
     every brief has payment lines), until every simulated event is counted
     (accepted + duplicate + rejected = the simulator's events=N) and an
     evaluation started after that;
  3. --requests GETs each, one per provider spread over the program, of
     /api/v1/briefs/{p}?program=workforce (JSON), /briefs/{p}?program=
     workforce (HTML), then --requests GETs of /api/v1/payments.
Prints the number of providers in the program and one line per request kind:
median and p90 in ms (each on a fresh connection, as a browser opening a
brief would) and the median body size. A JSON summary goes to --json.

  OUTCOMES_BUILD_DIR=build python3 tests/bench/brief_bench.py [--providers=1000]
      [--requests=25] [--json=FILE]
"""
import argparse
import json
import os
import statistics
import time
import urllib.request

from benchlib import (REPO, counted, simulate, simulator_figure,
                      write_json)
import harness  # noqa: E402  (benchlib put tests/integration on the path)

PROGRAM = "workforce"  # outcomes-simulate's first program


def fill(bootstrap, args):
    """Fills the topic; returns the simulator's events=N."""
    return simulator_figure(simulate(
        harness.binary("outcomes-simulate"), bootstrap, "--seed=11",
        f"--providers={args.providers}", "--programs=1",
        f"--days={args.days}",
        f"--referrals_per_day={args.referrals_per_day}", timeout=900),
        "events")


def evaluated_after(d, unix_time):
    samples = d.metrics()
    return samples.get("outcomes_last_evaluation_timestamp_seconds",
                       0) > unix_time


def timed_get(port, path):
    """(seconds, body bytes) of one GET on a fresh connection; 200 only."""
    start = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}",
                                timeout=60) as r:
        body = r.read()
        if r.status != 200:
            raise RuntimeError(f"{path}: HTTP {r.status}")
    return time.monotonic() - start, len(body)


def p90(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def series(port, paths):
    timed_get(port, paths[0])  # warm-up, not counted
    runs = [timed_get(port, p) for p in paths]
    ms = [t * 1000 for t, _ in runs]
    return {"requests": len(ms), "median_ms": statistics.median(ms),
            "p90_ms": p90(ms), "max_ms": max(ms),
            "median_bytes": statistics.median(b for _, b in runs)}


def program_providers(d):
    body = d.json("/api/v1/providers")
    ids = {p["provider"] for p in body["providers"]
           if any(g["program"] == PROGRAM for g in p["programs"])}
    return sorted(ids)


def measure(d, args):
    providers = program_providers(d)
    if len(providers) < args.requests:
        raise RuntimeError(f"only {len(providers)} providers in {PROGRAM}")
    step = len(providers) / args.requests
    chosen = [providers[int(i * step)] for i in range(args.requests)]
    query = f"?program={PROGRAM}&period=month"
    brief = d.json(f"/api/v1/briefs/{chosen[0]}{query}")
    if not brief["payments"] or not brief["goals"]:
        raise RuntimeError("the brief has no payment lines or goals: "
                           + json.dumps(brief)[:500])
    return {
        "program": PROGRAM, "providers_in_program": len(providers),
        "payment_lines": len(brief["payments"]),
        "ranked_among": max(g["of"] for g in brief["goals"]),
        "evaluation_seconds": d.metrics().get(
            "outcomes_goal_evaluation_seconds", 0),
        "brief_json": series(d.port, [f"/api/v1/briefs/{p}{query}"
                                      for p in chosen]),
        "brief_html": series(d.port, [f"/briefs/{p}{query}" for p in chosen]),
        "payments": series(d.port, ["/api/v1/payments"] * args.requests),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--providers", type=int, default=1000)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--referrals_per_day", type=float, default=2)
    ap.add_argument("--partitions", type=int, default=32)
    ap.add_argument("--requests", type=int, default=25)
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    broker = harness.Broker(partitions=args.partitions)
    try:
        events = fill(broker.bootstrap, args)
        d = harness.Daemon(broker.bootstrap, "--rules=" +
                           os.path.join(REPO, "rules", "demo"))
        try:
            harness.wait_until(lambda: counted(d.metrics()) >= events, 600,
                               f"outcomesd to count {events} events", 1)
            done = time.time()
            harness.wait_until(lambda: evaluated_after(d, done), 120,
                               "an evaluation after the last event", 0.5)
            result = measure(d, args)
        finally:
            d.close()
    finally:
        broker.close()
    result["events"] = events
    report(result)
    write_json(args.json, result)


def report(r):
    print(f"brief, one program ({r['program']}) of "
          f"{r['providers_in_program']:,} providers, {r['events']:,} events, "
          f"rules/demo; {r['payment_lines']} payment lines per brief, goals "
          f"ranked among {r['ranked_among']:,}; one evaluation (every 1 s) "
          f"takes {r['evaluation_seconds'] * 1000:.0f} ms:")
    for key, what in (("brief_json", "GET /api/v1/briefs/{p} (JSON)"),
                      ("brief_html", "GET /briefs/{p} (HTML)"),
                      ("payments", "GET /api/v1/payments")):
        s = r[key]
        print(f"  {what:32s} median {s['median_ms']:7.1f} ms  p90 "
              f"{s['p90_ms']:7.1f} ms  ({s['requests']} requests, "
              f"{s['median_bytes'] / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
