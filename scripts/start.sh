#!/usr/bin/env bash
# npm start: the health-authority stand-in and the gateway, in the foreground.
# Ctrl-C (or SIGTERM) stops both; the gateway drains its in-flight taps first.
# Runs the compiled JavaScript: ts-node would keep the TypeScript compiler in every process.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash scripts/services.sh
npx tsc -p tsconfig.build.json
node -r tsconfig-paths/register dist/scripts/keys.js init

children=()
stop() {
  trap - INT TERM EXIT
  for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap stop INT TERM EXIT

# tsconfig-paths resolves the @app/* aliases against the compiled tree.
export TS_NODE_BASEURL=dist
node -r tsconfig-paths/register dist/apps/health-authority/src/main.js &
children+=($!)
node -r tsconfig-paths/register dist/apps/gateway/src/main.js &
children+=($!)

# Either process ending ends the pair.
wait -n "${children[@]}"
