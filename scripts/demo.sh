#!/usr/bin/env bash
# The main job: builds anomstream, starts anomstreamd on its built-in configuration and
# shows what the detector library finds in a synthetic stream.
#
# The daemon in this version loads and validates its configuration, logs its endpoints
# and waits for SIGTERM; it does not ingest observations yet. The detection part of the
# demo runs the streaming-statistics layer in-process (examples/streaming_stats_demo).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

BUILD=build/demo
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DANOMSTREAM_BUILD_TESTS=OFF -DANOMSTREAM_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target anomstreamd streaming_stats_demo

DAEMON="$BUILD/daemon/anomstreamd"
echo
echo "== anomstreamd --version"
"$DAEMON" --version

echo
echo "== the built-in configuration passes its own schema check"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$DAEMON" --print-default-config > "$tmp/default.yaml"
"$DAEMON" --check-config "$tmp/default.yaml"

echo
echo "== a configuration with mistakes is rejected with the key path, line and bound"
printf 'workers:\n  count: 0\n  queue_capacity: 100\nlogging:\n  levle: info\n' > "$tmp/bad.yaml"
"$DAEMON" --check-config "$tmp/bad.yaml" || echo "(exit code $?)"

echo
echo "== anomstreamd on its built-in configuration (stopped with SIGTERM)"
"$DAEMON" > "$tmp/daemon.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  grep -q "event=start" "$tmp/daemon.log" && break
  sleep 0.05
done
kill -TERM "$pid"
wait "$pid" && echo "(exit code 0)"
cat "$tmp/daemon.log"

echo
echo "== streaming statistics over a synthetic stream"
"$BUILD/examples/streaming_stats_demo"
