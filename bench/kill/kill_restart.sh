#!/usr/bin/env bash
# The long kill test: anomstreamd under load is killed with SIGKILL at 25 random points
# and restarted each time; after every restart it must start, pass /readyz, verify its
# audit log (a recovered torn tail allowed), restore every tenant and keep its accounting
# identity. The test suite runs the same test with 3 kills.
#
#   bash bench/kill/kill_restart.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build/dev}"
export ANOMSTREAM_KILL_ROUNDS="${2:-25}"
export ANOMSTREAMD="$PWD/$build/daemon/anomstreamd" ANOMSTREAMCTL="$PWD/$build/tools/anomstreamctl"
export ANOMSTREAM_SOURCE_DIR="$PWD"
start=$(date +%s)
"$build/tests/integration_tests" -tc="kill -9 at random points*" -s 2>&1 | grep -E "kill loop|test cases|assertions|ERROR" || true
echo "kill_restart: ${ANOMSTREAM_KILL_ROUNDS} kills in $(( $(date +%s) - start )) s"
