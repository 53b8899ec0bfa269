#!/usr/bin/env bash
# Runs every package's tests (after bootstrap) and prints `N passed, N failed` last, summed
# from the JSON reports vitest writes in each package.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
rm -f packages/*/test-results.json examples/*/test-results.json
turbo run test --concurrency=2 --continue --output-logs=full "$@"
status=$?
node scripts/count-tests.mjs "$status"
