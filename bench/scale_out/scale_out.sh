#!/usr/bin/env bash
# Scale-out throughput and fail-over, measured on this machine (docs/performance.md):
#   bash bench/scale_out/scale_out.sh BUILD_DIR [K]
# 1. ingest: one ingest-only instance publishes K generator observations to JetStream
#    (accepted only once acknowledged), sent as fast as one client can;
# 2. scoring with 1, 2 and 3 instances: K observations already in the stream, the
#    instances start together; the rate is K over the time from the first message
#    applied to the last (the instances' ledgers);
# 3. fail-over: three instances score a steady stream; one is killed (SIGKILL); for each
#    partition it held, the time from the kill to the first message newer than its
#    last that another instance applies.
# Needs nats-server on PATH. Every instance, the server and the client share the
# machine's cores.
set -euo pipefail
BUILD="${1:?build directory}"
K="${2:-60000}"
D="$BUILD/daemon/anomstreamd"
C="$BUILD/tools/anomstreamctl"
WORK="$(mktemp -d /tmp/anomstream-scale-out.XXXXXX)"
PORT=$((20000 + RANDOM % 20000))
trap 'pkill -f "$WORK" || true; rm -rf "$WORK"' EXIT

config() {  # name, grpc port, metrics port, group, score
  cat > "$WORK/$1.yaml" <<EOC
server:
  grpc: {listen: 127.0.0.1:$2}
  udp: {listen: 127.0.0.1:0}
  metrics: {listen: 127.0.0.1:$3}
ingest:
  jetstream:
    servers: nats://127.0.0.1:$PORT
    instance: $1
    group: $4
    partitions: 12
    lease_ttl_ms: 3000
    score: $5
    ledger: $WORK/$1.ledger
sinks:
  json_lines: $WORK/$1.alerts
EOC
}
start_nats() {
  pkill -f "$WORK/js" || true
  while pgrep -f "$WORK/js" > /dev/null; do sleep 0.1; done
  rm -rf "$WORK/js"
  nats-server -js -a 127.0.0.1 -p "$PORT" -sd "$WORK/js" > "$WORK/nats.log" 2>&1 &
  for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return; sleep 0.1; done
  echo "nats-server did not start" >&2; exit 1
}
run() { "$D" --config "$WORK/$1.yaml" > "$WORK/$1.log" 2>&1 & }
stop_all() {
  pkill -f "$WORK/.*yaml" || true
  while pgrep -f "$WORK/.*yaml" > /dev/null; do sleep 0.1; done
}
applied() { cat "$WORK"/s*.ledger 2>/dev/null | grep -c '"scored"' || true; }
span() {  # seconds from the first to the last message applied, over the scorers' ledgers
  python3 - "$WORK" <<'PY'
import glob, json, sys
ns = [json.loads(l)["ns"] for f in glob.glob(sys.argv[1] + "/s*.ledger") for l in open(f) if '"scored"' in l]
print(f"{(max(ns) - min(ns)) / 1e9:.3f}")
PY
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%FT%TZ)"
echo "== ingest: one ingest-only instance, K=$K"
start_nats
config ingest $((PORT + 1)) 0 scorers false
run ingest; sleep 1
"$C" replay --count "$K" --tenants 64 --streams 2 --batch 512 --target "127.0.0.1:$((PORT + 1))" 2>&1 | grep -E "^sent|accounted"

for n in 1 2 3; do
  stop_all; rm -f "$WORK"/s*.ledger
  start_nats
  config ingest $((PORT + 1)) 0 scorers false
  run ingest; sleep 1
  "$C" replay --count "$K" --tenants 64 --streams 2 --batch 512 --target "127.0.0.1:$((PORT + 1))" > /dev/null 2>&1
  for i in $(seq "$n"); do config "s$i" 0 0 scorers true; run "s$i"; done
  for _ in $(seq 600); do [ "$(applied)" -ge "$K" ] && break; sleep 0.5; done
  echo "== scoring, $n instance(s): $(applied) messages applied in $(span) s"
done

echo "== fail-over: 3 instances, a steady 3000 obs/s, s3 killed"
stop_all; rm -f "$WORK"/s*.ledger
start_nats
for i in 1 2 3; do config "s$i" $((PORT + 10 + i)) 0 scorers true; run "s$i"; sleep 0.3; done
sleep 6
"$C" replay --count 45000 --tenants 64 --streams 2 --rate 3000 --target "127.0.0.1:$((PORT + 11))" > "$WORK/replay.log" 2>&1 &
REPLAY=$!
sleep 5
KILLED_NS=$(date +%s%N); pkill -9 -f "$WORK/s3.yaml"
wait "$REPLAY"
sleep 3
python3 - "$WORK" "$KILLED_NS" <<'PY'
import json, sys
work, killed = sys.argv[1], int(sys.argv[2])
rows = {n: [json.loads(l) for l in open(f"{work}/{n}.ledger")] for n in ("s1", "s2", "s3")}
held = {}
for r in rows["s3"]:
    if r["kind"] == "lease": held[r["partition"]] = r["action"] in ("claim", "renew")
last = {}
for r in rows["s3"]:
    if r["kind"] == "scored": last[r["partition"]] = max(last.get(r["partition"], 0), r["seq"])
for p in sorted(k for k, v in held.items() if v):
    after = [r for n in ("s1", "s2") for r in rows[n]
             if r["kind"] == "scored" and r["partition"] == p and r["seq"] > last.get(p, 0)]
    claims = [r for n in ("s1", "s2") for r in rows[n]
              if r["kind"] == "lease" and r["partition"] == p and r["action"] == "claim" and r["ns"] > killed]
    if after and claims:
        first = min(r["ns"] for r in after)
        print(f"partition {p}: claimed {(min(c['ns'] for c in claims) - killed) / 1e9:.2f} s after the kill, "
              f"scoring new messages {(first - killed) / 1e9:.2f} s after it")
PY
