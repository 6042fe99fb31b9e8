#!/usr/bin/env bash
# npm start: the health-authority stand-in and the gateway, in the foreground.
# Ctrl-C (or SIGTERM) stops both; the gateway drains its in-flight taps first.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/services.sh
npx ts-node scripts/keys.ts init

children=()
stop() {
  trap - INT TERM EXIT
  for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap stop INT TERM EXIT

npx ts-node apps/health-authority/src/main.ts &
children+=($!)
npx ts-node apps/gateway/src/main.ts &
children+=($!)

# Either process ending ends the pair.
wait -n "${children[@]}"
