#!/usr/bin/env python3
"""Sparse providers (issue 11): a real outcomesd on the mock cluster fed
--providers providers (default 20,000) with one referral each, then

  1. RSS growth per provider: the VmRSS of an outcomesd that read the
     providers (ready, i.e. caught up and evaluated, and two evaluations
     later, before any scrape) minus that of one started on the empty
     topic, divided by the providers;
  2. /metrics: --scrapes scrapes back to back; the median wall time, the
     median CPU time outcomesd spent per scrape (/proc/<pid>/stat), and the
     size;
  3. VmRSS again after the scrapes (a scrape must not leave memory behind).

--runs runs (a fresh broker and daemon each); prints the medians over the
runs and writes a JSON summary to --json.
"""
import argparse
import statistics
import subprocess
import tempfile
import time
import urllib.request

from benchlib import proc_cpu_seconds, proc_status_kib, write_json
import harness  # noqa: E402  (benchlib put tests/integration on the path)


def rss_kib(pid):
    rss = proc_status_kib(pid, "VmRSS")
    if rss is None:
        raise RuntimeError("no VmRSS")
    return rss


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                timeout=60) as r:
        return r.read()


def produce(bootstrap, providers):
    """One referral per provider, proto3 JSON, keyed by provider."""
    now = time.time()
    with tempfile.NamedTemporaryFile("wb", suffix=".txt") as f:
        for i in range(providers):
            provider = f"prov-{i:05d}"
            ev = {"event_id": f"sparse-{i}", "type": "referral",
                  "occurred_at": now - 86400, "provider_id": provider,
                  "program_id": "workforce", "client_key": f"client-{i}"}
            f.write(provider.encode() + b"\t" + harness.to_json(ev) + b"\n")
        f.flush()
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", "outcomes.events",
                        "-K", "\t", "-l", f.name], check=True, timeout=300)


def start_daemon(bootstrap, args, group):
    d = harness.Daemon(bootstrap, f"--providers.max={args.providers + 1000}",
                       group=group)
    # Ready means caught up and evaluated: every partition's figures are in
    # the latest snapshot.
    harness.wait_until(d.ready, 300, "outcomesd ready", interval=0.5)
    time.sleep(2)  # two more evaluations; not a wait for a condition
    return d


def one_run(args):
    broker = harness.Broker(partitions=8)
    try:
        # RSS of a daemon holding nothing, then of one that read the
        # providers; neither has served anything but probes before.
        d = start_daemon(broker.bootstrap, args, "empty")
        try:
            empty_rss = rss_kib(d.proc.pid)
        finally:
            d.close()
        produce(broker.bootstrap, args.providers)
        d = start_daemon(broker.bootstrap, args, "full")
        try:
            full_rss = rss_kib(d.proc.pid)
            times, cpus, sizes = [], [], []
            for _ in range(args.scrapes):
                cpu0, t0 = proc_cpu_seconds(d.proc.pid), time.monotonic()
                text = scrape(d.port)
                times.append(time.monotonic() - t0)
                cpus.append(proc_cpu_seconds(d.proc.pid) - cpu0)
                sizes.append(len(text))
            after_rss = rss_kib(d.proc.pid)
        finally:
            d.close()
    finally:
        broker.close()
    held = text.count(b"\noutcomes_stalled_referrals{")
    if held != args.providers:
        raise RuntimeError(f"{held} providers exported, not {args.providers}")
    return {"rss_per_provider_kib": (full_rss - empty_rss) / args.providers,
            "rss_empty_mib": empty_rss / 1024, "rss_full_mib": full_rss / 1024,
            "rss_after_scrapes_mib": after_rss / 1024,
            "scrape_seconds": statistics.median(times),
            "scrape_cpu_seconds": statistics.median(cpus),
            "scrape_bytes": statistics.median(sizes)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--providers", type=int, default=20000)
    p.add_argument("--scrapes", type=int, default=5)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--json", default="")
    args = p.parse_args()
    runs = [one_run(args) for _ in range(args.runs)]
    summary = {"providers": args.providers, "runs": runs}
    for key in runs[0]:
        summary[key] = statistics.median(r[key] for r in runs)
    print(f"sparse providers: {args.providers:,} providers, one referral "
          f"each; medians of {args.runs} runs")
    print(f"  RSS growth per provider   {summary['rss_per_provider_kib']:7.2f}"
          f" KiB (target <= 4 KiB)  (RSS {summary['rss_empty_mib']:.0f} -> "
          f"{summary['rss_full_mib']:.0f} MiB; after {args.scrapes} scrapes "
          f"{summary['rss_after_scrapes_mib']:.0f} MiB)")
    print(f"  /metrics scrape           {summary['scrape_seconds']:7.3f} s "
          f"wall, {summary['scrape_cpu_seconds']:.3f} s outcomesd CPU "
          f"(target <= 0.5 s), {summary['scrape_bytes'] / 2**20:.1f} MiB "
          f"(median of {args.scrapes} scrapes per run)")
    write_json(args.json, summary, indent=2)


if __name__ == "__main__":
    main()
