#!/usr/bin/env bash
# npm run test:faults [-- --report FILE] [jest args]: the fault suite on real processes.
# Each scenario starts its own NATS, PostgreSQL, authority and gateways (from source, so no
# build step), kills or restarts them by PID, and prints its figures; --report FILE also writes
# them as a Markdown table. FAULTS_PROFILE=short skips the 30 s NATS outage (npm test uses it).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

report=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --report)
      [ $# -ge 2 ] || die "--report needs a file"
      report="$2"
      [[ "$report" == /* ]] || report="$CALLER_DIR/$report"
      shift 2
      ;;
    *)
      args+=("$1")
      shift
      ;;
  esac
done

bash scripts/services.sh --test >/dev/null
figures="$(mktemp)"
trap 'rm -f "$figures"' EXIT
status=0
FAULTS_REPORT_JSONL="$figures" npx jest --selectProjects faults --runInBand "${args[@]}" || status=1
if [ -n "$report" ]; then
  mkdir -p "$(dirname "$report")"
  npx ts-node test/faults/support/report.ts "$figures" "$report"
fi
exit "$status"
