#!/usr/bin/env python3
"""End-to-end ingest benchmark (issue 2 "Benchmark", issue 3 "Benchmarks").

In one run:
  1. start outcomes-broker (librdkafka mock cluster on loopback) with 64
     partitions, and produce 1,000,000 binary events into outcomes.events
     with outcomes-simulate (1,000 providers, 120 days, seed 1);
  2. repeat N times (default 3), alternating:
     (a) kcat -C -b ADDR -t outcomes.events -o beginning -e -q -f 'x\\n',
         output counted (must be exactly 1,000,000) and otherwise discarded;
         timed from process start to exit;
     (b) outcomesd with a fresh consumer group on the same topic, /metrics
         polled every 50 ms until outcomes_events_total (all types)
         + outcomes_events_rejected_total + outcomes_events_duplicate_total
         reaches 1,000,000.
  3. print medians, rates and the ratio (b)/(a), and outcomesd's peak RSS.

How (b) is measured. outcomesd spends ~3 s joining the consumer group on the
mock cluster before it receives its first message; kcat (no group) does not.
So two figures are reported for (b):
  consume  from the first poll that sees the counter > 0 (time t0, count c0)
           to the first poll that sees it reach 1,000,000 (t1):
           rate = (1,000,000 - c0) / (t1 - t0).   THE RATIO USES THIS ONE.
  total    from process start to t1 (includes start-up and group join).
Poll times are the midpoint of each HTTP request.

CPU seconds (user+sys) of kcat and outcomesd are reported too: on this
shared 2-core machine they are less noisy than wall time.

Usage: tests/bench/ingest_bench.py [--build=build] [--runs=3]
           [--events=1000000] [--partitions=64] [--json=FILE]
           [--outcomesd_flag=--kafka.config=FILE ...]
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchlib import (REPO, add_json_arg, arg_parser, cpu_seconds, log,
                      median, popen_logged, private_binaries, proc_cpu_seconds,
                      proc_status_kib, simulate, stop, watch_count, write_json)

TOPIC = "outcomes.events"


def produce(simulator, addr, events):
    t = time.monotonic()
    err = simulate(simulator, addr, "--providers=1000", "--days=120",
                   "--seed=1", "--rate=0", f"--max_events={events}",
                   "--format=binary")
    elapsed = time.monotonic() - t
    summary = err.strip().splitlines()[-1] if err.strip() else ""
    return elapsed, summary


def run_kcat(addr):
    """(a): kcat to a pipe we only count newlines of. Returns dict."""
    t = time.monotonic()
    proc = subprocess.Popen(
        ["kcat", "-C", "-b", addr, "-t", TOPIC, "-o", "beginning", "-e", "-q",
         "-f", "x\n"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    count = 0
    while True:
        chunk = proc.stdout.read1(1 << 20)
        if not chunk:
            break
        count += chunk.count(b"\n")
    _, status, rusage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace")
    if proc.returncode != 0:
        sys.exit(f"kcat failed ({proc.returncode}):\n{stderr}")
    return {"seconds": elapsed, "messages": count,
            "rate": count / elapsed, "cpu_seconds": cpu_seconds(rusage)}


def thread_cpu_seconds(pid):
    """{thread name: cpu seconds} of a live process (names summed)."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        out[name] = out.get(name, 0.0) + proc_cpu_seconds(pid, tid)
    return out


def run_outcomesd(outcomesd, addr, events, group, workdir, timeout, extra):
    """(b): a fresh outcomesd consuming until its counters reach `events`."""
    import harness
    port = harness.free_port()
    t_start = time.monotonic()
    proc = popen_logged(
        [outcomesd, f"--kafka.brokers={addr}", f"--kafka.group={group}",
         f"--listen=127.0.0.1:{port}", *extra],
        os.path.join(workdir, f"{group}.log"))
    try:
        seen = watch_count(proc, port, events, t_start + timeout,
                           proc.log_path,
                           snapshot=lambda: thread_cpu_seconds(proc.pid))
        hwm = proc_status_kib(proc.pid, "VmHWM")
        # Is partition state wired in (issue 3)? Its API answers then.
        try:
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/v1/providers",
                    timeout=5) as r:
                with_state = r.status == 200
        except OSError:
            with_state = False
    finally:
        cpu = stop(proc, timeout=60)
    first, done, parts = seen["first"], seen["done"], seen["parts"]
    if done is None:
        sys.exit(f"outcomesd did not reach {events} within {timeout}s "
                 f"(last counts {parts}); log: {proc.log_path}")
    consume = done - first[0]
    # CPU each thread used between the first count and 1 M (ticks: 10 ms).
    threads = {name: round(used - seen["at_first"].get(name, 0.0), 2)
               for name, used in seen["at_done"].items()}
    main_cpu = threads.get("outcomesd", 0.0)
    return {"consume_seconds": consume,
            "consume_thread_cpu_seconds": threads,
            # The consumer-loop thread (decode, validate, dedupe, count):
            # its CPU per event bounds the rate it could reach on a free core.
            "main_thread_us_per_event":
                main_cpu / (events - first[1]) * 1e6 if main_cpu else None,
            "consume_events": events - first[1],
            "rate": (events - first[1]) / consume,
            "total_seconds": done - t_start,
            "first_count_seconds": first[0] - t_start,
            "total_rate": events / (done - t_start),
            "counts": parts,
            "vm_hwm_kib": hwm,
            "with_state": with_state,
            # CPU of the whole process life, start-up and shutdown included.
            "cpu_seconds": cpu}


def source_version():
    try:
        return subprocess.run(
            ["git", "-C", REPO, "describe", "--always", "--dirty"],
            capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    parser = arg_parser(__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds allowed for one outcomesd run")
    add_json_arg(parser)
    parser.add_argument("--outcomesd_flag", action="append", default=[],
                        help="extra outcomesd flag, e.g. "
                             "--outcomesd_flag=--kafka.config=FILE (repeat)")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    if shutil.which("kcat") is None:
        sys.exit("kcat not found (scripts/setup installs it)")

    workdir = tempfile.mkdtemp(prefix="ingest-bench-")
    bin_dir, bins = private_binaries(
        build, workdir, ("outcomesd", "outcomes-broker", "outcomes-simulate"))
    os.environ["OUTCOMES_BUILD_DIR"] = bin_dir  # harness runs these copies
    import harness
    broker = harness.Broker(partitions=args.partitions)
    addr = broker.bootstrap
    try:
        log(f"broker {addr}, {args.partitions} partitions; logs in {workdir}")
        produce_s, summary = produce(bins["outcomes-simulate"], addr,
                                     args.events)
        log(f"produced {args.events:,} events in {produce_s:.1f} s "
            f"({summary})")

        kcat_runs, daemon_runs = [], []
        for i in range(1, args.runs + 1):
            load = os.getloadavg()[0]
            b0 = proc_cpu_seconds(broker.proc.pid)
            k = run_kcat(addr)
            k["load_before"] = load
            k["broker_cpu_seconds"] = proc_cpu_seconds(broker.proc.pid) - b0
            if k["messages"] != args.events:
                sys.exit(f"kcat read {k['messages']:,} messages, expected "
                         f"{args.events:,}: the mock dropped some (use more "
                         f"partitions)")
            kcat_runs.append(k)
            log(f"run {i} (a) kcat:      [load {k['load_before']:.1f}] "
                f"{k['messages']:,} msgs in "
                f"{k['seconds']:.3f} s = {k['rate'] / 1e6:.3f} M/s "
                f"(cpu {k['cpu_seconds']:.2f} s; broker cpu "
                f"{k['broker_cpu_seconds']:.2f} s)")
            load = os.getloadavg()[0]
            b0 = proc_cpu_seconds(broker.proc.pid)
            d = run_outcomesd(bins["outcomesd"], addr, args.events,
                              f"bench-{os.getpid()}-{i}", workdir,
                              args.timeout, args.outcomesd_flag)
            d["broker_cpu_seconds"] = proc_cpu_seconds(broker.proc.pid) - b0
            d["load_before"] = load
            daemon_runs.append(d)
            c = d["counts"]
            log(f"run {i} (b) outcomesd: [load {d['load_before']:.1f}] "
                f"{d['consume_events']:,} events in "
                f"{d['consume_seconds']:.3f} s = {d['rate'] / 1e6:.3f} M/s "
                f"after the first count; {d['total_seconds']:.3f} s from "
                f"process start (first count at "
                f"{d['first_count_seconds']:.2f} s); accepted "
                f"{c['accepted']:,.0f} rejected {c['rejected']:,.0f} "
                f"duplicate {c['duplicate']:,.0f}; VmHWM "
                f"{d['vm_hwm_kib'] / 1024:.1f} MiB; cpu "
                f"{d['cpu_seconds']:.2f} s (broker "
                f"{d['broker_cpu_seconds']:.2f} s); thread cpu while "
                f"consuming: " + ", ".join(
                    f"{n} {c:.2f} s" for n, c in sorted(
                        d["consume_thread_cpu_seconds"].items(),
                        key=lambda x: -x[1]) if c > 0))
    finally:
        broker.terminate(timeout=10)
        broker.close()

    kcat_s = median([k["seconds"] for k in kcat_runs])
    kcat_rate = median([k["rate"] for k in kcat_runs])
    kcat_cpu = median([k["cpu_seconds"] for k in kcat_runs])
    d_consume = median([d["consume_seconds"] for d in daemon_runs])
    d_rate = median([d["rate"] for d in daemon_runs])
    d_total = median([d["total_seconds"] for d in daemon_runs])
    d_total_rate = median([d["total_rate"] for d in daemon_runs])
    d_first = median([d["first_count_seconds"] for d in daemon_runs])
    d_cpu = median([d["cpu_seconds"] for d in daemon_runs])
    hwm = max(d["vm_hwm_kib"] for d in daemon_runs)
    main_us = median([d["main_thread_us_per_event"] or 0.0
                      for d in daemon_runs])
    ratio = d_rate / kcat_rate
    results = {
        "events": args.events, "partitions": args.partitions,
        "runs": args.runs,
        "kcat": {"median_seconds": kcat_s, "median_rate": kcat_rate,
                 "median_cpu_seconds": kcat_cpu, "runs": kcat_runs},
        "outcomesd": {"median_consume_seconds": d_consume,
                      "median_rate": d_rate,
                      "median_total_seconds": d_total,
                      "median_total_rate": d_total_rate,
                      "median_first_count_seconds": d_first,
                      "median_cpu_seconds": d_cpu,
                      "median_main_thread_us_per_event": main_us,
                      "peak_vm_hwm_kib": hwm, "runs": daemon_runs},
        "ratio": ratio,
        "ratio_total": d_total_rate / kcat_rate,
    }
    log("")
    with_state = all(d["with_state"] for d in daemon_runs)
    results["outcomesd"]["with_state"] = with_state
    results["source"] = source_version()
    log(f"ingest benchmark: {args.events:,} binary events, {args.partitions} "
        f"partitions, medians of {args.runs} runs; outcomesd "
        f"{'with' if with_state else 'without'} partition state "
        f"(/api/v1/providers {'answers' if with_state else 'absent'}); "
        f"source {results['source']}")
    log(f"  (a) kcat to /dev/null       {kcat_s:7.3f} s  "
        f"{kcat_rate / 1e6:6.3f} M events/s  (cpu {kcat_cpu:.2f} s)")
    log(f"  (b) outcomesd, consume      {d_consume:7.3f} s  "
        f"{d_rate / 1e6:6.3f} M events/s  (first count > 0 -> 1 M)")
    log(f"      outcomesd, total        {d_total:7.3f} s  "
        f"{d_total_rate / 1e6:6.3f} M events/s  (process start -> 1 M; "
        f"first count at {d_first:.2f} s; cpu {d_cpu:.2f} s)")
    log(f"  ratio (b)/(a), consume rate / kcat rate: {ratio:.2f}  "
        f"(target >= 1.0; with start-up and group join: "
        f"{results['ratio_total']:.2f})")
    if main_us:
        log(f"  outcomesd consumer thread: {main_us:.2f} us CPU per event "
            f"while consuming (alone on a free core it could not exceed "
            f"{1 / main_us:.2f} M events/s)")
    log(f"  outcomesd peak RSS (VmHWM, max over runs): {hwm / 1024:.1f} MiB")
    write_json(args.json, results, indent=2)


if __name__ == "__main__":
    main()
