#!/usr/bin/env bash
# Integration test of daemon/tools: outcomes-broker (librdkafka mock cluster
# on loopback) and outcomes-simulate, checked with the real kcat.
#
# Usage: tests/integration/tools_test.sh [BUILD_DIR]   (default: ./build)
# or set OUTCOMES_BROKER / OUTCOMES_SIMULATE to the binaries.
set -euo pipefail

BUILD_DIR="${1:-build}"
BROKER="${OUTCOMES_BROKER:-$BUILD_DIR/daemon/tools/outcomes-broker}"
SIMULATE="${OUTCOMES_SIMULATE:-$BUILD_DIR/daemon/tools/outcomes-simulate}"
NOW=2024-06-01T12:00:00Z
WORK="$(mktemp -d)"
BROKER_PIDS=()

cleanup() {
  for pid in "${BROKER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# start_broker NAME ARGS... : starts a broker, sets $ADDR and $PID.
start_broker() {
  local name="$1"; shift
  "$BROKER" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  PID=$!
  BROKER_PIDS+=("$PID")
  for _ in $(seq 100); do
    [[ -s "$WORK/$name.out" ]] && break
    sleep 0.1
  done
  ADDR="$(head -1 "$WORK/$name.out")"
  [[ "$ADDR" =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "$name printed '$ADDR'"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_broker main
pass "broker serves $ADDR"
kcat -b "$ADDR" -L >"$WORK/meta.txt"
for t in outcomes.events outcomes.events.dlq outcomes.alerts; do
  grep -q "topic \"$t\" with 4 partitions" "$WORK/meta.txt" || fail "topic $t"
done
pass "default topics with 4 partitions"

# Kafka (JSON values) and --out carry the same events.
"$SIMULATE" --brokers="$ADDR" --format=json --seed=42 --now=$NOW \
  --out="$WORK/a.jsonl" 2>"$WORK/sim.err" || fail "simulate: $(cat "$WORK/sim.err")"
lines=$(wc -l <"$WORK/a.jsonl")
(( lines > 5000 )) || fail "only $lines events"
kcat -b "$ADDR" -C -t outcomes.events -o beginning -e -q -f '%k\t%s\n' \
  >"$WORK/kafka.tsv"
[[ $(wc -l <"$WORK/kafka.tsv") -eq $lines ]] || fail "kafka count != $lines"
cut -f2- "$WORK/kafka.tsv" | sort | cmp -s - <(sort "$WORK/a.jsonl") ||
  fail "kafka events differ from --out"
grep -P '^prov-003\t' "$WORK/kafka.tsv" | cut -f2- |
  cmp -s - <(grep '"providerId":"prov-003"' "$WORK/a.jsonl") ||
  fail "per-key order differs"
pass "$lines events: kafka == --out, keyed by provider, same order per key"

# Reproducible.
"$SIMULATE" --seed=42 --now=$NOW --out="$WORK/b.jsonl" 2>/dev/null
cmp -s "$WORK/a.jsonl" "$WORK/b.jsonl" || fail "same seed, different output"
"$SIMULATE" --seed=43 --now=$NOW --out="$WORK/c.jsonl" 2>/dev/null
cmp -s "$WORK/a.jsonl" "$WORK/c.jsonl" && fail "different seed, same output"
pass "same seed => identical file; different seed => different file"

# Model properties.
python3 - "$WORK/a.jsonl" "$NOW" <<'EOF' || fail "model properties"
import collections, datetime, json, sys
now = datetime.datetime.fromisoformat(sys.argv[2].replace("Z", "+00:00"))
events = [json.loads(line) for line in open(sys.argv[1])]
ids = {e["eventId"] for e in events}
assert len(ids) == len(events), "duplicate event_id"
ref, enrolled = {}, set()
for e in events:
    t = datetime.datetime.fromisoformat(e["occurredAt"].replace("Z", "+00:00"))
    assert t <= now, e
    if e["type"] == "EVENT_TYPE_REFERRAL":
        ref[e["clientKey"]] = (e["providerId"], t)
    elif e["type"] == "EVENT_TYPE_ENROLLMENT":
        enrolled.add(e["clientKey"])
    elif e["type"] == "EVENT_TYPE_OUTCOME":
        assert e["outcomeCode"] == "job_placement" and e["outcomeValue"] > 7
rate = collections.defaultdict(lambda: [0, 0])
for client, (provider, t) in ref.items():
    if (now - t).days > 21:
        rate[provider][0] += client in enrolled
        rate[provider][1] += 1
short = [rate[p][0] / rate[p][1] for p in ("prov-001", "prov-002")]
others = [v[0] / v[1] for p, v in rate.items() if p not in ("prov-001", "prov-002")]
print("shortfall enrollment", [round(r, 2) for r in short],
      "others mean", round(sum(others) / len(others), 2))
assert max(short) < 0.45 and min(others) > 0.55
EOF
pass "ids unique, occurred_at <= --now, shortfall providers enroll less"

# Binary values decode as ServiceEvent.
"$SIMULATE" --brokers="$ADDR" --topic=bin.test --max_events=1000 --now=$NOW 2>/dev/null
n=$(kcat -b "$ADDR" -C -t bin.test -o beginning -e -q -f 'x\n' | wc -l)
[[ $n -eq 1000 ]] || fail "--max_events=1000 gave $n"
if command -v protoc >/dev/null; then
  PROTO_DIR="$(cd "$(dirname "$0")/../../proto" && pwd)"
  decoded=$(kcat -b "$ADDR" -C -t bin.test -p 0 -c 1 -o beginning -e -q \
    -f '%s' | protoc -I"$PROTO_DIR" --decode=outcomes.v1.ServiceEvent \
    outcomes/v1/event.proto)
  [[ "$decoded" == *'event_id: "sim-1-'* ]] ||
    fail "binary value does not decode: $decoded"
fi
pass "binary values, --max_events exact"

# Live mode stops on SIGTERM with status 0.
"$SIMULATE" --brokers="$ADDR" --topic=live.test --days=0 --rate=200 \
  2>"$WORK/live.err" &
sim_pid=$!
sleep 2
kill -TERM "$sim_pid"
wait "$sim_pid" || fail "live simulate exit $?"
grep -q 'stopped by signal' "$WORK/live.err" || fail "no summary"
n=$(kcat -b "$ADDR" -C -t live.test -o beginning -e -q -f 'x\n' | wc -l)
(( n > 200 && n < 800 )) || fail "live produced $n events in ~2 s at 200/s"
pass "live mode: $n events in ~2 s, exit 0 on SIGTERM"

# --port: served through the forwarder.
port=$(free_port)
start_broker fwd --port="$port" --partitions=2 --topics=a,b
[[ "$ADDR" == "127.0.0.1:$port" ]] || fail "forwarder address $ADDR"
"$SIMULATE" --brokers="$ADDR" --topic=a --max_events=500 --now=$NOW 2>/dev/null
n=$(kcat -b "$ADDR" -C -t a -o beginning -e -q -f 'x\n' | wc -l)
[[ $n -eq 500 ]] || fail "through forwarder: $n"
pass "--port=$port forwarder"

for pid in "${BROKER_PIDS[@]}"; do
  kill -TERM "$pid"
  wait "$pid" || fail "broker exit status $?"
done
BROKER_PIDS=()
pass "brokers exit 0 on SIGTERM"
echo "PASS"
