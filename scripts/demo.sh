#!/usr/bin/env bash
# The main job: builds anomstream, starts anomstreamd on its built-in configuration,
# replays the built-in synthetic network-traffic stream into it (port scans, floods and
# exfiltration injected into per-host flow features), and shows the alerts, the
# daemon's status and a metrics excerpt; then stops it with SIGTERM. Then the same
# stream through the subsequence k-means detector, and what each detector caught of
# the injected anomalies, with its false alerts.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

BUILD=build/demo
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DANOMSTREAM_BUILD_TESTS=OFF -DANOMSTREAM_BUILD_BENCH=OFF -DANOMSTREAM_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target anomstreamd anomstreamctl

DAEMON="$BUILD/daemon/anomstreamd"
CTL="$BUILD/tools/anomstreamctl"
tmp="$(mktemp -d)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# start_daemon ALERTS LOG [CONFIG]: anomstreamd in the background, waits until it is ready.
start_daemon() {
  if [ -n "${3:-}" ]; then "$DAEMON" --config "$3" > "$1" 2> "$2" & else "$DAEMON" > "$1" 2> "$2" & fi
  pid=$!
  for _ in $(seq 1 200); do
    grep -q "event=ready" "$2" && return 0
    if ! kill -0 "$pid" 2>/dev/null; then cat "$2"; exit 1; fi
    sleep 0.05
  done
}

# The demo stream: 16000 observations over gRPC, the next 8000 over UDP, then waits
# until the workers have scored everything that arrived.
replay_stream() {
  "$CTL" replay --count 16000 --tenants 2 --streams 2 --seed 7 --anomaly-rate 0.005 "$@"
  "$CTL" replay --udp 127.0.0.1:50052 --count 8000 --skip 16000 --tenants 2 --streams 2 --seed 7 --anomaly-rate 0.005 \
    --batch 32 --rate 40000 "$@"
  for _ in $(seq 1 200); do
    m="$(curl -s http://127.0.0.1:9464/metrics)"
    received=$(echo "$m" | awk '/^anomstream_ingest_observations_received_total/ {s+=$2} END {print s+0}')
    scored=$(echo "$m" | awk '/^anomstream_worker_observations_scored_total/ {s+=$2} END {print s+0}')
    [ "$received" = "$scored" ] && [ "$received" != 0 ] && break
    sleep 0.1
  done
}

echo
echo "== anomstreamd $("$DAEMON" --version | cut -d' ' -f2) on its built-in configuration"
echo "   (gRPC 127.0.0.1:50051, UDP 127.0.0.1:50052, metrics http://127.0.0.1:9464/metrics)"
start_daemon "$tmp/alerts.jsonl" "$tmp/daemon.log"
grep "event=ready" "$tmp/daemon.log"

echo
echo "== replaying 24000 synthetic observations (2 tenants x 2 hosts, 8 flow features) over gRPC"
echo "   (the first 16000; the next 8000 of the same stream over UDP)"
replay_stream

echo
echo "== alerts (JSON lines on the daemon's stdout): $(wc -l < "$tmp/alerts.jsonl") in all; the first five:"
head -5 "$tmp/alerts.jsonl"
echo
echo "== alerts by severity, and the feature each one blames first"
# Plain grep and awk over the JSON lines: the alert writer's own field order, and no
# interpreter that a fresh machine may lack. A line the daemon is still writing is skipped.
complete="$(grep '}$' "$tmp/alerts.jsonl" || true)"
echo "   by severity:"
{ echo "$complete" | grep -o '"severity":"[a-z]*"' | cut -d'"' -f4 | sort | uniq -c | sort -rn | awk '{ printf "     %6d  %s\n", $1, $2 }'; } || true
echo "   first-blamed feature:"
{ echo "$complete" | grep -o '"top_features":\[{"index":[0-9]*' | grep -o '[0-9]*$' |
    awk 'BEGIN { split("log_bytes_out log_bytes_in log_packets dst_ports dst_hosts mean_pkt_size duration_s fail_ratio", n, " ") }
         { print n[$1 + 1] }' | sort | uniq -c | sort -rn | awk '{ printf "     %6d  %s\n", $1, $2 }'; } || true

echo
echo "== anomstreamctl status"
"$CTL" status

echo
echo "== /metrics excerpt"
curl -s http://127.0.0.1:9464/metrics | grep -E '^anomstream_(ingest|worker_observations|alerts|tenants|pool)' \
  | grep -v ' 0$' || true

echo
echo "== SIGTERM: drain, flush, exit"
kill -TERM "$pid"
wait "$pid" && echo "   anomstreamd exited 0"
pid=""
grep -E "event=(stopping|stopped)" "$tmp/daemon.log"

echo
echo "== the same stream through subsequence k-means (pipeline.detector: kmeans): the shape of"
echo "   each host's last 40 observations against 10 learned shapes"
printf 'sinks:\n  json_lines: "-"\npipeline:\n  detector: kmeans\n' > "$tmp/kmeans.yaml"
start_daemon "$tmp/alerts-kmeans.jsonl" "$tmp/daemon-kmeans.log" "$tmp/kmeans.yaml"
replay_stream > /dev/null 2>&1
echoes=$(curl -s http://127.0.0.1:9464/metrics | awk '/^anomstream_pipeline_alert_echoes_total/ {print $2}')
kill -TERM "$pid"
wait "$pid" || true
pid=""
echo "   $(grep -c '}$' "$tmp/alerts-kmeans.jsonl" || true) alerts, and ${echoes:-0} echoes: observations above the threshold only"
echo "   because an anomaly already alerted on is still in the window (counted, no new alert)"

echo
echo "== what each detector caught of what the generator injected (anomstreamctl truth)"
cat "$tmp/alerts.jsonl" "$tmp/alerts-kmeans.jsonl" > "$tmp/alerts-all.jsonl"
"$CTL" truth --alerts "$tmp/alerts-all.jsonl" --count 24000 --tenants 2 --streams 2 --seed 7 --anomaly-rate 0.005 \
  --review 15

echo
echo "== the analyst's loop: the same stream through the forest again, while a simulated analyst"
echo "   gives the generator's ground truth as verdicts on the first 15 alerts of each host"
echo "   (anomstreamctl analyst); a false positive suppresses that host's similar, no stronger alerts"
start_daemon "$tmp/alerts-feedback.jsonl" "$tmp/daemon-feedback.log"
"$CTL" analyst --review 15 --idle 3 --count 24000 --tenants 2 --streams 2 --seed 7 --anomaly-rate 0.005 &
analyst=$!
sleep 0.5
"$CTL" replay --count 24000 --tenants 2 --streams 2 --seed 7 --anomaly-rate 0.005 --rate 4000 > /dev/null 2>&1
wait "$analyst" || true
curl -s http://127.0.0.1:9464/metrics | grep -E '^anomstream_(alerts_suppressed|feedback_verdicts)_total' | grep -v ' 0$' || true
kill -TERM "$pid"
wait "$pid" || true
pid=""
echo "   before (the first run) and after feedback: false alerts after each host's first 15 alerts, and"
echo "   whether every injected anomaly is still caught"
sed -i 's/"detector":"forest"/"detector":"forest+fb"/' "$tmp/alerts-feedback.jsonl"
cat "$tmp/alerts.jsonl" "$tmp/alerts-feedback.jsonl" > "$tmp/alerts-fb.jsonl"
"$CTL" truth --alerts "$tmp/alerts-fb.jsonl" --count 24000 --tenants 2 --streams 2 --seed 7 --anomaly-rate 0.005 \
  --review 15
echo
echo "== incidents that last 5 observations of their host (--incident-rows 5): each raises an alert"
echo "   per observation; an unbroken run of alerting observations, or one attribution, is one incident"
start_daemon "$tmp/alerts-rows.jsonl" "$tmp/daemon-rows.log"
"$CTL" replay --count 24000 --tenants 2 --streams 2 --seed 7 --anomaly-rate 0.002 --incident-rows 5 > /dev/null 2>&1
for _ in $(seq 1 200); do
  scored=$(curl -s http://127.0.0.1:9464/metrics | awk '/^anomstream_worker_observations_scored_total/ {s+=$2} END {print s+0}')
  [ "$scored" = 24000 ] && break
  sleep 0.1
done
kill -TERM "$pid"
wait "$pid" || true
pid=""
"$CTL" truth --alerts "$tmp/alerts-rows.jsonl" --count 24000 --tenants 2 --streams 2 --seed 7 --anomaly-rate 0.002 \
  --incident-rows 5 --review 15 | sed -n '4,6p'

echo
echo "== that run's incidents, not lines (anomstreamctl alerts --clusters), the first ten"
"$CTL" alerts --file "$tmp/alerts-rows.jsonl" --clusters | sed -n "1,11p"  # sed reads to the end: no SIGPIPE under pipefail
