# Shared shell helpers. Source it: `. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"`.
# Moves to the repository root and sets the service URL defaults.

CALLER_DIR="${INIT_CWD:-$PWD}" # npm runs scripts from the root; INIT_CWD is where it was called
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

: "${DATABASE_URL:=postgres://postgres@127.0.0.1:5432/gateway}"
: "${TEST_DATABASE_URL:=postgres://postgres@127.0.0.1:5432/gateway_test}"
: "${NATS_URL:=nats://127.0.0.1:4222}"
export DATABASE_URL TEST_DATABASE_URL NATS_URL

die() {
  printf '%s\n' "$*" >&2
  exit 1
}

# parse_url URL DEFAULT_PORT -> sets URL_HOST, URL_PORT, URL_PATH (no leading slash, no query).
# Only the first server of a comma-separated list is used.
parse_url() {
  local rest="${1%%,*}" hostport
  rest="${rest#*://}"
  rest="${rest%%[?#]*}"
  hostport="${rest%%/*}"
  hostport="${hostport##*@}"
  URL_PATH=""
  [[ "$rest" == */* ]] && URL_PATH="${rest#*/}"
  if [[ "$hostport" =~ ^\[(.*)\](:([0-9]+))?$ ]]; then
    URL_HOST="${BASH_REMATCH[1]}" URL_PORT="${BASH_REMATCH[3]}"
  elif [[ "$hostport" == *:* ]]; then
    URL_HOST="${hostport%:*}" URL_PORT="${hostport##*:}"
  else
    URL_HOST="$hostport" URL_PORT=""
  fi
  URL_HOST="${URL_HOST:-127.0.0.1}"
  URL_PORT="${URL_PORT:-$2}"
}

is_local_host() {
  [[ "$1" == localhost || "$1" == 127.* || "$1" == ::1 ]]
}

with_timeout() {
  local seconds="$1"
  shift
  if command -v timeout >/dev/null 2>&1; then timeout "$seconds" "$@"; else "$@"; fi
}

# tcp_open HOST PORT: true when something accepts a TCP connection.
tcp_open() {
  with_timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# nats_info HOST PORT: prints the server's INFO line, fails if nothing answers like NATS.
nats_info() {
  with_timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    IFS= read -r -t 2 line <&3 || exit 1
    [[ "$line" == INFO* ]] || exit 1
    printf "%s\n" "$line"' "$1" "$2" 2>/dev/null
}
