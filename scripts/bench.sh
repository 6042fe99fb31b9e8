#!/usr/bin/env bash
# npm run bench [-- --json FILE --plot FILE --riders N --quick --levels 1,16,256]: gateway vs raw NATS echo.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BENCH_DATABASE_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/gateway_bench}"
export BENCH_DATABASE_URL
bash scripts/services.sh

args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --json | --plot)
      f="$2"
      [[ "$f" == /* ]] || f="$CALLER_DIR/$f"
      args+=("$1" "$f")
      shift 2
      ;;
    *)
      args+=("$1")
      shift
      ;;
  esac
done
npx tsc -p tsconfig.build.json
TS_NODE_BASEURL=dist exec node -r tsconfig-paths/register dist/gate-sim/src/bench/bench.js "${args[@]}"
