#!/usr/bin/env bash
# Runs the libFuzzer targets (tests/fuzz/) under AddressSanitizer + UndefinedBehaviorSanitizer,
# one at a time, each for SECONDS (default 600):
#   scripts/fuzz.sh [SECONDS] [TARGET...]      e.g. scripts/fuzz.sh 60 config state_file
# Targets default to every tests/fuzz/<name>_fuzz.cpp. Builds with clang (ANOMSTREAM_FUZZ_CXX,
# else clang++-14, else clang++) in build/fuzz. Each run starts from the repo corpus
# tests/fuzz/corpus/<name> (read only) and writes the inputs it finds to the scratch corpus
# build/fuzz/corpus/<name>;
# crashes, leaks, timeouts and out-of-memory inputs go to build/fuzz/artifacts/<name>/.
# Logs: build/fuzz/logs/<name>.log. Ends with executions, coverage and findings per
# target; exits 1 if any target found something.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${1:-600}"
shift || true
if [[ $# -gt 0 ]]; then
  TARGETS=("$@")
else
  TARGETS=()
  for source in tests/fuzz/*_fuzz.cpp; do
    name="$(basename "$source" _fuzz.cpp)"
    TARGETS+=("$name")
  done
fi

# Largest input per target (-max_len): a datagram, a config file, a state file, a log.
max_len() {
  case "$1" in
    udp_datagram) echo 4096 ;;
    config) echo 8192 ;;
    state_file) echo 65536 ;;
    *) echo 16384 ;;
  esac
}

CXX="${ANOMSTREAM_FUZZ_CXX:-}"
if [[ -z "$CXX" ]]; then
  for candidate in clang++-14 clang++; do
    if command -v "$candidate" >/dev/null; then CXX="$candidate"; break; fi
  done
fi
[[ -n "$CXX" ]] || { echo "fuzz.sh: needs clang++ (Debian packages clang-14 libclang-rt-14-dev)" >&2; exit 2; }
JOBS="${ANOMSTREAM_JOBS:-$(nproc)}"
BUILD=build/fuzz

echo "== configure and build ($CXX) in $BUILD"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_CXX_COMPILER="$CXX" -DANOMSTREAM_BUILD_FUZZ=ON \
  -DANOMSTREAM_SANITIZE=address,undefined -DANOMSTREAM_BUILD_TESTS=OFF -DANOMSTREAM_BUILD_BENCH=OFF \
  -DANOMSTREAM_BUILD_EXAMPLES=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" \
  >/dev/null
cmake --build "$BUILD" -j "$JOBS" --target "${TARGETS[@]/%/_fuzz}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
mkdir -p "$BUILD/logs"
SUMMARY=()
FOUND=0
for name in "${TARGETS[@]}"; do
  scratch="$BUILD/corpus/$name"
  artifacts="$BUILD/artifacts/$name"
  log="$BUILD/logs/$name.log"
  mkdir -p "$scratch" "$artifacts"
  dict=()
  [[ -f "tests/fuzz/$name.dict" ]] && dict=("-dict=tests/fuzz/$name.dict")
  echo "== $name: ${SECONDS_PER_TARGET}s (log: $log)"
  set +e
  "$BUILD/tests/fuzz/${name}_fuzz" "$scratch" "tests/fuzz/corpus/$name" "${dict[@]}" \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$name")" \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1
  status=$?
  set -e
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
  rate="$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
  rss="$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
  last="$(grep -E '^#[0-9]+' "$log" | tail -1 || true)"
  cov="$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)"
  ft="$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)"
  corpus="$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' <<<"$last" | cut -d' ' -f2 || true)"
  findings="$(find "$artifacts" -type f | wc -l)"
  if [[ $status -ne 0 || $findings -ne 0 ]]; then
    FOUND=1
    echo "   $name: finding (exit $status); see $log and $artifacts/"
    grep -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY:' "$log" | head -5 || true
  fi
  SUMMARY+=("$(printf '%-14s %8ss %12s %8s %6s %7s %12s %7s %8s' "$name" "$SECONDS_PER_TARGET" "${execs:-?}" \
    "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corpus:-?}" "${rss:-?}" "$findings")")
done

echo
printf '%-14s %9s %12s %8s %6s %7s %12s %7s %8s\n' target seconds executions exec/s cov ft corpus rss_mb findings
printf '%s\n' "${SUMMARY[@]}"
exit "$FOUND"
