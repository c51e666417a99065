#!/usr/bin/env bash
# Builds and runs every anomstream test on a fresh build directory:
#   1. installs missing Debian packages (scripts/install-deps.sh);
#   2. a -Wall -Wextra -Werror build of everything, all tests through ctest;
#   3. the unit tests, and the daemon's integration tests against a sanitised daemon,
#      under AddressSanitizer + UndefinedBehaviorSanitizer (leaks included);
#   4. the concurrency tests (the hot-path library, and the daemon's integration tests in
#      test suite "concurrency") under ThreadSanitizer.
# Build trees go to build/test-*; each is removed first so the run is clean.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

JOBS="${ANOMSTREAM_JOBS:-$(nproc)}"
# Tests that read ../shared (reference vectors, datasets) fail instead of skipping.
export ANOMSTREAM_REQUIRE_SHARED=1
# The scale-out tests need nats-server (installed above): fail rather than skip.
export ANOMSTREAM_REQUIRE_NATS=1
CTEST_ARGS=(--output-on-failure --no-tests=error -j "$JOBS")

configure_and_build() {  # dir, "targets", then extra cmake arguments
  local dir="$1" targets="$2"; shift 2
  rm -rf "$dir"
  cmake -S . -B "$dir" -G Ninja -DANOMSTREAM_WERROR=ON "$@" >/dev/null
  # shellcheck disable=SC2086  # the targets are a space-separated list
  cmake --build "$dir" -j "$JOBS" --target $targets
}
# Sanitised builds: -O1 and line tables only, the usual trade for sanitiser runs (fast
# to build, readable stacks).
SANITIZED=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
           -DANOMSTREAM_BUILD_BENCH=OFF -DANOMSTREAM_BUILD_EXAMPLES=OFF)

echo "== build (warnings are errors) and every test"
configure_and_build build/test-release all -DCMAKE_BUILD_TYPE=RelWithDebInfo
ctest --test-dir build/test-release "${CTEST_ARGS[@]}"

echo "== unit and integration tests under AddressSanitizer and UndefinedBehaviorSanitizer"
configure_and_build build/test-asan "unit_tests integration_tests anomstreamd anomstreamctl" \
  -DANOMSTREAM_SANITIZE=address,undefined "${SANITIZED[@]}"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build/test-asan -L "unit|integration" "${CTEST_ARGS[@]}"

echo "== concurrency tests (library, and the daemon's integration tests that run every thread) under ThreadSanitizer"
configure_and_build build/test-tsan "unit_hotpath integration_tests anomstreamd anomstreamctl" \
  -DANOMSTREAM_SANITIZE=thread "${SANITIZED[@]}"
TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/tests/tsan.supp" \
  ctest --test-dir build/test-tsan -L concurrency "${CTEST_ARGS[@]}"
