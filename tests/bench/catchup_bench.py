#!/usr/bin/env python3
"""Catching up while live events arrive (issue 11, "a fresh group consuming
180k events while 2,000 events/s arrive live"), on a real Apache Kafka
broker (--broker=mock: the mock cluster). Not a ctest test: figures, not
pass/fail.

In one run:
  1. start Apache Kafka (tests/integration/harness.py KafkaBroker) with 8
     partitions and produce --events (default 180,000) binary events with
     outcomes-simulate (--providers=400 --days=100 --seed=1): the backlog;
  2. --runs times (default 3), alternating, each with a fresh consumer group:
     (a) quiet: outcomesd started, timed from process start to its first
         /readyz 200 (every partition caught up once and the figures
         computed after that: docs/design.md, "State through restarts, rebalances and faults"), and to the moment it has
         counted the whole backlog;
     (b) live: the same while outcomes-simulate --rate=--live_rate (default
         2,000 events/s, another seed: new event ids) produces from 1 s
         before outcomesd starts until it is ready; the live producer is
         then stopped and its events added to what must be counted;
     ratio b/a of the times to ready (per run, and of the medians).
  3. print the medians and the ratio (goal: b/a <= 2).

Usage: tests/bench/catchup_bench.py [--build=build] [--runs=3]
           [--events=180000] [--live_rate=2000] [--broker=real|mock]
           [--json=FILE]
"""
import os
import sys
import time

from benchlib import (POLL, add_json_arg, arg_parser, counted, delivered,
                      log, median, run_closing, simulate, start_simulator,
                      stop_simulator, write_json)

PARTITIONS = 8
PROVIDERS = 400


class Bench:
    def __init__(self, args):
        os.environ["OUTCOMES_BUILD_DIR"] = os.path.abspath(args.build)
        import harness
        self.h = harness
        self.args = args
        self.broker = None
        self.daemons = []
        self.produced = 0

    def close(self):
        for d in self.daemons:
            d.close()
        if self.broker:
            self.broker.close()

    def simulator(self):
        return self.h.binary("outcomes-simulate"), self.broker.bootstrap

    def one(self, run, live):
        """Seconds from outcomesd's start to ready and to all counted."""
        producer = None
        if live:
            producer = start_simulator(
                *self.simulator(), f"--providers={PROVIDERS}",
                f"--seed={1000 + run}", "--days=1",
                f"--rate={self.args.live_rate}")
            time.sleep(1.0)  # events are arriving when the daemon starts
        kind = "live" if live else "quiet"
        t0 = time.monotonic()
        d = self.h.Daemon(self.broker.bootstrap,
                          group=f"catchup-{kind}-{run}",
                          name=f"outcomesd-{kind}-{run}")
        self.daemons.append(d)
        backlog_at = None
        ready_at = None
        deadline = t0 + self.args.timeout
        while ready_at is None and time.monotonic() < deadline:
            now = time.monotonic()
            if backlog_at is None and counted(d.metrics()) >= self.produced:
                backlog_at = now
            if d.ready():
                ready_at = time.monotonic()
            time.sleep(POLL)
        if producer is not None:
            self.produced += stop_simulator(producer)
        if ready_at is None:
            sys.exit(f"outcomesd ({kind}) not ready in {self.args.timeout} s:"
                     f"\n{d.log_text()[-3000:]}")
        # Ready means right: every event produced so far gets counted.
        self.h.wait_until(
            lambda: counted(d.metrics()) >= self.produced, 120,
            "every event counted")
        if backlog_at is None:
            backlog_at = ready_at
        d.terminate(timeout=30)
        return {"ready_s": ready_at - t0, "backlog_s": backlog_at - t0}

    def broker_name(self):
        return (f"Apache Kafka {self.h.kafka_version()}"
                if self.args.broker == "real" else "mock cluster")

    def run(self):
        log(f"== {self.broker_name()}, {PARTITIONS} partitions")
        if self.args.broker == "real":
            self.broker = self.h.KafkaBroker(partitions=PARTITIONS)
        else:
            self.broker = self.h.Broker(partitions=PARTITIONS)
        self.produced = delivered(simulate(
            *self.simulator(), f"--providers={PROVIDERS}", "--seed=1",
            "--days=100", "--rate=0", f"--max_events={self.args.events}"))
        log(f"   backlog: {self.produced:,} events")
        rows = []
        for run in range(1, self.args.runs + 1):
            a = self.one(run, live=False)
            b = self.one(run, live=True)
            rows.append({"run": run, "quiet": a, "live": b,
                         "ratio": b["ready_s"] / a["ready_s"]})
            log(f"  run {run}: (a) quiet: ready {a['ready_s']:6.2f} s "
                f"(backlog counted at {a['backlog_s']:6.2f} s)  (b) "
                f"{self.args.live_rate}/s live: ready {b['ready_s']:6.2f} s "
                f"(backlog counted at {b['backlog_s']:6.2f} s)  b/a "
                f"{rows[-1]['ratio']:.2f}")
        a = median([r["quiet"]["ready_s"] for r in rows])
        b = median([r["live"]["ready_s"] for r in rows])
        summary = {"broker": self.broker_name(),
                   "partitions": PARTITIONS, "events": self.args.events,
                   "live_rate": self.args.live_rate, "runs": self.args.runs,
                   "median_quiet_ready_s": a, "median_live_ready_s": b,
                   "ratio_of_medians": b / a,
                   "median_ratio": median([r["ratio"] for r in rows]),
                   "rows": rows}
        log(f"== catch-up: fresh group, {self.args.events:,}-event backlog, "
            f"{PARTITIONS} partitions, {self.broker_name()}, medians of "
            f"{self.args.runs} runs")
        log(f"  (a) start to ready, no live traffic       {a:7.2f} s")
        log(f"  (b) start to ready, {self.args.live_rate:,}/s arriving live "
            f"{b:7.2f} s")
        log(f"  ratio b/a: {b / a:.2f} (median of per-run ratios "
            f"{summary['median_ratio']:.2f}; goal <= 2)")
        write_json(self.args.json, summary)


def main():
    parser = arg_parser(__doc__)
    parser.add_argument("--events", type=int, default=180_000)
    parser.add_argument("--live_rate", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--broker", choices=("real", "mock"), default="real",
                        help="Apache Kafka (default) or the mock cluster")
    add_json_arg(parser)
    args = parser.parse_args()
    run_closing(Bench(args))


if __name__ == "__main__":
    main()
