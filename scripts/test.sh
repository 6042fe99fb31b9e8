#!/usr/bin/env bash
# npm test: services, type check, lint, format check, then unit and integration/e2e tests.
# Extra arguments go to both jest runs (e.g. `npm test -- decide`).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash scripts/services.sh --test
npx tsc -p tsconfig.json --noEmit
echo "tsc: ok"
npx eslint .
echo "eslint: ok"
npx prettier --check . || die "prettier: run npm run format"

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
# A filtered run may leave a project with nothing to run; a full run must find tests.
no_tests=()
[ $# -gt 0 ] && no_tests=(--passWithNoTests)

status=0
npx jest --selectProjects unit --json --outputFile="$results/unit.json" "${no_tests[@]}" "$@" || status=1
npx jest --selectProjects integration e2e browser --runInBand --json --outputFile="$results/slow.json" \
  "${no_tests[@]}" "$@" || status=1
# The fault suite last: real processes killed and restarted, about 3 minutes (FAULTS_PROFILE=short
# skips its 30 s NATS outage). Its figures: npm run test:faults -- --report FILE.
npx jest --selectProjects faults --runInBand --json --outputFile="$results/faults.json" \
  "${no_tests[@]}" "$@" || status=1

# One summary for both runs, in jest's own words, as the last line.
node - "$results/unit.json" "$results/slow.json" "$results/faults.json" <<'JS' || status=1
const fs = require('fs');
const files = process.argv.slice(2);
const total = { failed: 0, passed: 0, skipped: 0, todo: 0, all: 0 };
const missing = [];
for (const [i, file] of files.entries()) {
  if (!fs.existsSync(file)) {
    missing.push(['unit', 'integration/e2e', 'faults'][i]);
    continue;
  }
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  total.failed += r.numFailedTests;
  total.passed += r.numPassedTests;
  total.skipped += r.numPendingTests;
  total.todo += r.numTodoTests;
  total.all += r.numTotalTests;
}
// The plain closing line any CI reads: 'N passed, N failed[, N skipped]'.
const parts = [`${total.passed} passed`, `${total.failed} failed`];
const note = missing.length ? ` (no results from ${missing.join(', ')})` : '';
if (total.skipped + total.todo) parts.push(`${total.skipped + total.todo} skipped`);
console.log(`Tests: ${parts.join(', ')}${note}`);
process.exit(missing.length ? 1 : 0);
JS
exit "$status"
