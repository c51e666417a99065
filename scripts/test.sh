#!/usr/bin/env bash
# Builds and runs every anomstream test on a fresh build directory:
#   1. installs missing Debian packages (scripts/install-deps.sh);
#   2. a -Wall -Wextra -Werror build of everything, all tests through ctest;
#   3. the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer;
#   4. the concurrency tests again under ThreadSanitizer.
# Build trees go to build/test-*; each is removed first so the run is clean.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

JOBS="${ANOMSTREAM_JOBS:-$(nproc)}"
# Tests that read ../shared (reference vectors, datasets) fail instead of skipping.
export ANOMSTREAM_REQUIRE_SHARED=1
CTEST_ARGS=(--output-on-failure --no-tests=error -j "$JOBS")

configure_and_build() {  # dir, target, then extra cmake arguments
  local dir="$1" target="$2"; shift 2
  rm -rf "$dir"
  cmake -S . -B "$dir" -G Ninja -DANOMSTREAM_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS" --target "$target"
}

echo "== build (warnings are errors) and every test"
configure_and_build build/test-release all -DCMAKE_BUILD_TYPE=RelWithDebInfo
ctest --test-dir build/test-release "${CTEST_ARGS[@]}"

echo "== unit tests under AddressSanitizer and UndefinedBehaviorSanitizer"
configure_and_build build/test-asan unit_tests -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DANOMSTREAM_SANITIZE=address,undefined \
  -DANOMSTREAM_BUILD_BENCH=OFF -DANOMSTREAM_BUILD_EXAMPLES=OFF
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build/test-asan -L unit "${CTEST_ARGS[@]}"

echo "== concurrency tests under ThreadSanitizer"
configure_and_build build/test-tsan unit_hotpath -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DANOMSTREAM_SANITIZE=thread -DANOMSTREAM_BUILD_DAEMON=OFF \
  -DANOMSTREAM_BUILD_BENCH=OFF -DANOMSTREAM_BUILD_EXAMPLES=OFF
TSAN_OPTIONS=halt_on_error=1 ctest --test-dir build/test-tsan -L concurrency "${CTEST_ARGS[@]}"
