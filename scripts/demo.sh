#!/usr/bin/env bash
# npm run demo [-- --json out.json --riders N --seed N ...]: the scripted morning rush.
# Makes sure PostgreSQL and NATS are up, starts the gateway and the health authority (npm start)
# unless they already answer on their ports, runs gate-sim against them, and stops what it started.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT="${PORT:-3000}"
AUTHORITY_PORT="${AUTHORITY_PORT:-3100}"
GATEWAY_HEALTH="http://127.0.0.1:${PORT}/health"
AUTHORITY_HEALTH="http://127.0.0.1:${AUTHORITY_PORT}/health"
export PORT AUTHORITY_PORT
export GATEWAY_URL="${GATEWAY_URL:-http://127.0.0.1:${PORT}}"
export AUTHORITY_URL="${AUTHORITY_URL:-http://127.0.0.1:${AUTHORITY_PORT}}"
LOG=.data/logs/demo-gateway.log
WAIT_SECONDS=60
STOP_SECONDS=10

# A relative --json path means relative to where npm was called.
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --json)
      [ $# -ge 2 ] || die "--json needs a file"
      f="$2"
      [[ "$f" == /* ]] || f="$CALLER_DIR/$f"
      args+=(--json "$f")
      shift 2
      ;;
    --json=*)
      f="${1#--json=}"
      [[ "$f" == /* ]] || f="$CALLER_DIR/$f"
      args+=(--json "$f")
      shift
      ;;
    *)
      args+=("$1")
      shift
      ;;
  esac
done

STARTED_PGID=""

# True while the process group has a member that is not a zombie.
group_alive() {
  ps -eo pgid=,stat= 2>/dev/null | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

stop_started() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$STARTED_PGID" ] && group_alive "$STARTED_PGID"; then
    echo "demo: stopping the gateway and authority it started (process group $STARTED_PGID)"
    kill -TERM -- "-$STARTED_PGID" 2>/dev/null || true
    local waited=0
    while group_alive "$STARTED_PGID" && [ "$waited" -lt $((STOP_SECONDS * 5)) ]; do
      sleep 0.2
      waited=$((waited + 1))
    done
    if group_alive "$STARTED_PGID"; then
      echo "demo: still running after ${STOP_SECONDS} s, sending SIGKILL"
      kill -KILL -- "-$STARTED_PGID" 2>/dev/null || true
    fi
    wait "$STARTED_PGID" 2>/dev/null || true
  fi
  exit "$rc"
}
trap stop_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

http_ok() {
  [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null)" = 200 ]
}

log_tail() {
  if [ -f "$LOG" ]; then
    echo "--- last lines of $LOG ---" >&2
    tail -n 40 "$LOG" >&2
  fi
}

command -v curl >/dev/null 2>&1 || die "demo: curl is needed to check the services' health"

bash scripts/services.sh

gateway_busy=false authority_busy=false
tcp_open 127.0.0.1 "$PORT" && gateway_busy=true
tcp_open 127.0.0.1 "$AUTHORITY_PORT" && authority_busy=true

if $gateway_busy && $authority_busy; then
  echo "demo: something already listens on ports $PORT and $AUTHORITY_PORT; using the running gateway and authority"
elif $gateway_busy || $authority_busy; then
  busy=$PORT free=$AUTHORITY_PORT
  $authority_busy && busy=$AUTHORITY_PORT free=$PORT
  die "demo: port $busy is in use but nothing listens on $free, so npm start cannot run here. Stop what uses port $busy, or start both services yourself (npm start), or set PORT/AUTHORITY_PORT."
else
  mkdir -p "$(dirname "$LOG")"
  echo "demo: starting the gateway and authority (npm start); log: $LOG"
  setsid npm start >"$LOG" 2>&1 </dev/null &
  STARTED_PGID=$!
fi

deadline=$((SECONDS + WAIT_SECONDS))
until http_ok "$GATEWAY_HEALTH" && http_ok "$AUTHORITY_HEALTH"; do
  if [ -n "$STARTED_PGID" ] && ! group_alive "$STARTED_PGID"; then
    log_tail
    die "demo: npm start exited before the services answered"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    [ -n "$STARTED_PGID" ] && log_tail
    die "demo: $GATEWAY_HEALTH and $AUTHORITY_HEALTH did not both answer 200 within ${WAIT_SECONDS} s"
  fi
  sleep 0.5
done
echo "demo: gateway and authority are up"

npx ts-node --transpile-only gate-sim/src/cli.ts demo ${args[@]+"${args[@]}"}
