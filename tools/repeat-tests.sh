#!/usr/bin/env bash
# Runs the given jest test files N times in a row and prints a pass/fail line per run, for timing and crash tests
# that must not be flaky. Not part of CI.   Usage: tools/repeat-tests.sh N test/e2e/bulk-crash.e2e-spec.ts [...]
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:?usage: tools/repeat-tests.sh N test-file...}; shift
passed=0
for i in $(seq 1 "$runs"); do
  log=$(mktemp)
  start=$SECONDS
  if npx jest --config jest.config.js "$@" >"$log" 2>&1; then
    passed=$((passed + 1)); echo "run $i: pass ($((SECONDS - start)) s)"
  else
    echo "run $i: FAIL ($((SECONDS - start)) s), output in $log"; grep -E '●|Expected|Received|Timed out' "$log" | head -20
    continue
  fi
  rm -f "$log"
done
echo "$passed of $runs runs passed"
[ "$passed" -eq "$runs" ]
