#!/usr/bin/env python3
"""/healthz latency under abusive HTTP load (issue 8), in one run:

  1. outcomes-simulate fills the mock cluster (--providers, --events), and
     outcomesd ingests it, so /metrics is a realistic size;
  2. baseline: --probes fresh-connection GET /healthz, nothing else open;
  3. abuse: 300 idle connections, 20 slow clients (a header byte every
     0.5 s), 4 threads scraping /metrics and 2 reading /api/v1/providers
     back to back; the same probes again.
Prints median, p99 and max of each, the ratio of the p99s, failed probes,
the /metrics size and scrape time. A JSON summary goes to --out.
"""
import argparse
import json
import statistics
import threading
import time
import urllib.request

from benchlib import simulate, write_json
import harness  # noqa: E402  (benchlib put tests/integration on the path)
import http_abuse  # noqa: E402


def stats(latencies):
    ok = [x for x in latencies if x is not None]
    return {"probes": len(latencies), "failed": len(latencies) - len(ok),
            "median_ms": statistics.median(ok) * 1000,
            "p99_ms": http_abuse.percentile(ok, 0.99) * 1000,
            "max_ms": max(ok) * 1000}


class Hammer:
    """Threads GETting `path` back to back; records each duration."""

    def __init__(self, port, path, threads):
        self.url = f"http://127.0.0.1:{port}{path}"
        self.stop = threading.Event()
        self.times, self.sizes = [], []
        self.threads = [threading.Thread(target=self._run, daemon=True)
                        for _ in range(threads)]
        for t in self.threads:
            t.start()

    def _run(self):
        while not self.stop.is_set():
            start = time.monotonic()
            try:
                with urllib.request.urlopen(self.url, timeout=30) as r:
                    self.sizes.append(len(r.read()))
                self.times.append(time.monotonic() - start)
            except OSError:
                pass

    def close(self):
        self.stop.set()
        for t in self.threads:
            t.join(60)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--providers", type=int, default=2000)
    p.add_argument("--events", type=int, default=200000)
    p.add_argument("--probes", type=int, default=1000)
    p.add_argument("--out", default="")
    args = p.parse_args()
    broker = harness.Broker(partitions=4)
    try:
        simulate(harness.binary("outcomes-simulate"), broker.bootstrap,
                 "--seed=3", f"--providers={args.providers}", "--days=60",
                 f"--max_events={args.events}", timeout=600)
        d = harness.Daemon(broker.bootstrap)
        try:
            harness.wait_until(d.ready, 300, "outcomesd ready")
            summary = measure(d, args)
        finally:
            d.close()
    finally:
        broker.close()
    print(json.dumps(summary, indent=2))
    write_json(args.out, summary, indent=2)


def measure(d, args):
    base = stats(http_abuse.probe_healthz(d.port, args.probes))
    idle = http_abuse.open_idle(d.port, 300)
    slow = http_abuse.SlowClients(d.port, 20)
    metrics = Hammer(d.port, "/metrics", 4)
    api = Hammer(d.port, "/api/v1/providers", 2)
    try:
        time.sleep(1)  # let the load reach steady state (not a wait for a condition)
        loaded = stats(http_abuse.probe_healthz(d.port, args.probes))
    finally:
        metrics.close()
        api.close()
        slow.close()
        for s in idle:
            s.close()
    return {
        "baseline": base, "abuse": loaded,
        "p99_ratio_abuse_over_baseline": loaded["p99_ms"] / base["p99_ms"],
        "metrics_bytes": statistics.median(metrics.sizes or [0]),
        "metrics_scrape_median_ms":
            statistics.median(metrics.times or [0]) * 1000,
        "metrics_scrapes": len(metrics.times),
        "api_requests": len(api.times),
    }


if __name__ == "__main__":
    main()
