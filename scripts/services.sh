#!/usr/bin/env bash
# Makes sure PostgreSQL and NATS (with JetStream) answer at DATABASE_URL and NATS_URL.
# Uses running servers when they answer; otherwise starts local ones under .data/ from installed
# binaries, installing them first when running as root on Debian/Ubuntu.
#   --test               also create the database in TEST_DATABASE_URL
#   --nats-config FILE   config file for a NATS server this script starts (-c FILE)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WANT_TEST_DB=false
NATS_CONFIG=""
while [ $# -gt 0 ]; do
  case "$1" in
    --test) WANT_TEST_DB=true ;;
    --nats-config)
      [ $# -ge 2 ] || die "--nats-config needs a file"
      NATS_CONFIG="$2"
      shift
      ;;
    -h | --help)
      sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument: $1 (try --help)" ;;
  esac
  shift
done
if [ -n "$NATS_CONFIG" ]; then
  [[ "$NATS_CONFIG" == /* ]] || NATS_CONFIG="$CALLER_DIR/$NATS_CONFIG"
  [ -r "$NATS_CONFIG" ] || die "nats: config file not readable: $NATS_CONFIG"
fi

IS_ROOT=false
[ "$(id -u)" = 0 ] && IS_ROOT=true

# ---------------------------------------------------------------- what has to happen

PG_URLS=("$DATABASE_URL")
$WANT_TEST_DB && PG_URLS+=("$TEST_DATABASE_URL")

PG_ENDPOINTS=() # host:port, unique, in order
declare -A PG_STATUS=()
for url in "${PG_URLS[@]}"; do
  parse_url "$url" 5432
  ep="$URL_HOST:$URL_PORT"
  [ -n "${PG_STATUS[$ep]+x}" ] && continue
  PG_ENDPOINTS+=("$ep")
  if tcp_open "$URL_HOST" "$URL_PORT"; then PG_STATUS[$ep]=existing; else PG_STATUS[$ep]=down; fi
done

parse_url "$NATS_URL" 4222
NATS_HOST="$URL_HOST" NATS_PORT="$URL_PORT"
NATS_STATUS=down
nats_check() {
  local info
  info="$(nats_info "$NATS_HOST" "$NATS_PORT")" || return 1
  [[ "$info" == *'"jetstream":true'* ]] && return 0
  return 2
}
if nats_check; then NATS_STATUS=existing; elif [ $? = 2 ]; then NATS_STATUS=no-jetstream; fi

pg_down=()
for ep in "${PG_ENDPOINTS[@]}"; do [ "${PG_STATUS[$ep]}" = down ] && pg_down+=("$ep"); done

# ---------------------------------------------------------------- binaries

PG_BIN=""
find_pg_bin() {
  local d candidates=()
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    PG_BIN="$(dirname "$(command -v pg_ctl)")"
    return 0
  fi
  shopt -s nullglob
  candidates=(/usr/lib/postgresql/*/bin /usr/pgsql-*/bin /opt/homebrew/opt/postgresql*/bin /usr/local/opt/postgresql*/bin)
  shopt -u nullglob
  [ ${#candidates[@]} -gt 0 ] || return 1
  while read -r d; do
    if [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ]; then
      PG_BIN="$d"
      return 0
    fi
  done < <(printf '%s\n' "${candidates[@]}" | sort -V -r)
  return 1
}

need_pg=false need_nats=false
[ ${#pg_down[@]} -gt 0 ] && need_pg=true
[ "$NATS_STATUS" = down ] && need_nats=true

problems=()
for ep in "${pg_down[@]}"; do
  is_local_host "${ep%:*}" || problems+=("postgres: nothing answers at $ep, which is not this machine; start it there or point DATABASE_URL/TEST_DATABASE_URL elsewhere.")
done
is_local_host "$NATS_HOST" || [ "$NATS_STATUS" != down ] ||
  problems+=("nats: nothing answers at $NATS_HOST:$NATS_PORT, which is not this machine; start it there or point NATS_URL elsewhere.")
if [ "$NATS_STATUS" = no-jetstream ]; then
  problems+=("nats: the server at $NATS_HOST:$NATS_PORT runs without JetStream; restart it with -js or point NATS_URL at another server.")
fi
if [ ${#problems[@]} -gt 0 ]; then
  printf '%s\n' "${problems[@]}" >&2
  exit 1
fi

missing_pkgs=() PG_INSTALLED=false NATS_INSTALLED=false
if $need_pg && ! find_pg_bin; then
  missing_pkgs+=(postgresql)
  PG_INSTALLED=true
fi
if $need_nats && ! command -v nats-server >/dev/null 2>&1; then
  missing_pkgs+=(nats-server)
  NATS_INSTALLED=true
fi
if [ ${#missing_pkgs[@]} -gt 0 ]; then
  if $IS_ROOT && [ -f /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; then
    mkdir -p .data
    echo "installing ${missing_pkgs[*]} with apt-get (log: .data/apt.log)"
    if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing_pkgs[@]}"; } \
      >.data/apt.log 2>&1 </dev/null; then
      tail -n 20 .data/apt.log >&2
      die "apt-get install ${missing_pkgs[*]} failed (full log: .data/apt.log)"
    fi
  else
    for pkg in "${missing_pkgs[@]}"; do
      case "$pkg" in
        postgresql)
          echo "postgres: nothing answers at ${pg_down[*]} and no PostgreSQL server binaries (initdb, pg_ctl) were found." >&2
          echo "  install PostgreSQL 15 or newer (Debian/Ubuntu: sudo apt-get install postgresql; macOS: brew install postgresql@15)," >&2
          echo "  or start a server yourself and set DATABASE_URL (and TEST_DATABASE_URL for tests)." >&2
          ;;
        nats-server)
          echo "nats: nothing answers at $NATS_HOST:$NATS_PORT and nats-server is not installed." >&2
          echo "  install it (Debian/Ubuntu: sudo apt-get install nats-server; macOS: brew install nats-server)," >&2
          echo "  or start one with JetStream (nats-server -js) yourself and set NATS_URL." >&2
          ;;
      esac
    done
    exit 1
  fi
fi

# A package we just installed may have started its own service on our port, configured in ways
# we cannot use (Debian's cluster wants a password, its nats-server has no JetStream). Stop it.
if $PG_INSTALLED; then
  find_pg_bin || die "postgres: installed, but initdb/pg_ctl are still not found"
  for ep in "${pg_down[@]}"; do
    command -v pg_lsclusters >/dev/null 2>&1 || break
    while read -r ver name port state _; do
      if [ "$port" = "${ep##*:}" ] && [ "$state" = online ]; then
        echo "postgres: stopping the packaged cluster $ver/$name on port $port (set to manual start) to run our own"
        pg_ctlcluster "$ver" "$name" stop
        echo manual >"/etc/postgresql/$ver/$name/start.conf"
      fi
    done < <(pg_lsclusters --no-header 2>/dev/null)
  done
fi
if $NATS_INSTALLED; then
  if nats_check; then
    NATS_STATUS=existing
  elif command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nats-server 2>/dev/null; then
    echo "nats: disabling the packaged nats-server service (no JetStream) to run our own"
    systemctl disable --now nats-server >/dev/null 2>&1 || true
  fi
fi

# ---------------------------------------------------------------- starting

as_postgres() {
  if ! $IS_ROOT; then
    "$@"
  elif command -v runuser >/dev/null 2>&1; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && su -s /bin/bash postgres -c "$(printf '%q ' "$@")")
  fi
}

# Sets PGDATA_DIR. As root the server runs as `postgres`, which must own the directory and be able
# to reach it; when the checkout is somewhere it cannot (e.g. under /root), the data lives in the
# postgres user's home and .data/pg links to it.
prepare_pg_dir() {
  mkdir -p .data
  PGDATA_DIR="$REPO_ROOT/.data/pg"
  if $IS_ROOT; then
    id postgres >/dev/null 2>&1 ||
      die "postgres: running as root, but there is no 'postgres' user to run the server as (useradd --system postgres, or run as a normal user)"
    if [ -L .data/pg ]; then
      PGDATA_DIR="$(readlink -f .data/pg)"
    elif [ ! -e .data/pg ] && ! as_postgres test -x "$REPO_ROOT/.data"; then
      PGDATA_DIR="$(getent passwd postgres | cut -d: -f6)/one-code-ride/$(printf %s "$REPO_ROOT" | cksum | cut -d' ' -f1)/pg"
      mkdir -p "$PGDATA_DIR"
      ln -s "$PGDATA_DIR" .data/pg
    fi
    mkdir -p "$PGDATA_DIR"
    [ -f "$PGDATA_DIR/PG_VERSION" ] || chown postgres: "$PGDATA_DIR"
  else
    mkdir -p "$PGDATA_DIR"
  fi
  chmod 700 "$PGDATA_DIR"
}

start_postgres() { # host port
  local host="$1" port="$2" out
  prepare_pg_dir
  if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
    out="$(as_postgres "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres -A trust -E UTF8 --no-locale 2>&1)" ||
      die "postgres: initdb failed:"$'\n'"$out"
    echo "include_if_exists = 'gateway.conf'" >>"$PGDATA_DIR/postgresql.conf"
  fi
  # TCP only: no unix socket, so path length and directory permissions never matter.
  printf "listen_addresses = '%s'\nport = %s\nunix_socket_directories = ''\n" "$host" "$port" \
    >"$PGDATA_DIR/gateway.conf"
  $IS_ROOT && chown postgres: "$PGDATA_DIR/gateway.conf"
  if ! out="$(as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGDATA_DIR/server.log" -w -t 60 start 2>&1)"; then
    printf '%s\n' "$out" >&2
    tail -n 20 "$PGDATA_DIR/server.log" >&2 2>/dev/null || true
    die "postgres: could not start the server in .data/pg (log: .data/pg/server.log)"
  fi
}

start_nats() {
  local dir="$REPO_ROOT/.data/nats" args i
  mkdir -p "$dir"
  rm -f "$dir/nats.pid"
  args=(-js -sd "$dir/js" -a "$NATS_HOST" -p "$NATS_PORT" -P "$dir/nats.pid")
  [ -n "$NATS_CONFIG" ] && args=(-c "$NATS_CONFIG" "${args[@]}")
  # Own session and no inherited descriptors: the server outlives this script and its callers.
  if command -v setsid >/dev/null 2>&1; then
    setsid nats-server "${args[@]}" >>"$dir/nats.log" 2>&1 </dev/null &
  else
    nohup nats-server "${args[@]}" >>"$dir/nats.log" 2>&1 </dev/null &
  fi
  for i in $(seq 1 100); do
    nats_check && return 0
    if [ $((i % 10)) = 0 ] && [ -f "$dir/nats.pid" ] && ! kill -0 "$(cat "$dir/nats.pid")" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  tail -n 20 "$dir/nats.log" >&2 || true
  die "nats: could not start nats-server at $NATS_HOST:$NATS_PORT (log: .data/nats/nats.log)"
}

if [ ${#pg_down[@]} -gt 1 ]; then
  die "postgres: nothing answers at ${pg_down[*]}; this script runs one local server, so point DATABASE_URL and TEST_DATABASE_URL at the same host:port."
fi
for ep in "${pg_down[@]}"; do
  if tcp_open "${ep%:*}" "${ep##*:}"; then
    PG_STATUS[$ep]=existing
  else
    start_postgres "${ep%:*}" "${ep##*:}"
    PG_STATUS[$ep]="started, .data/pg"
  fi
done

if [ "$NATS_STATUS" = down ] && nats_check; then NATS_STATUS=existing; fi
if [ "$NATS_STATUS" = down ]; then
  start_nats
  NATS_STATUS="started, .data/nats"
elif [ -n "$NATS_CONFIG" ]; then
  echo "nats: note: --nats-config not applied, a server was already running"
fi

# ---------------------------------------------------------------- databases

[ -d node_modules/pg ] || die "postgres: node_modules/pg is missing; run npm ci first"
db_result="$(ENSURE_DATABASES="$(printf '%s\n' "${PG_URLS[@]}")" node - <<'JS'
const { Client } = require('pg');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const retryable = new Set(['57P03', 'ECONNREFUSED', 'ECONNRESET']);

async function connect(url) {
  for (let attempt = 1; ; attempt++) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (attempt >= 40 || !retryable.has(err.code)) throw err;
      await sleep(250);
    }
  }
}

async function ensure(url) {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name) throw new Error(`no database name in ${url.replace(/:[^:@/]*@/, ':***@')}`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = await connect(admin.toString());
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount > 0) return `${name}`;
    try {
      await client.query(`create database "${name.replace(/"/g, '""')}"`);
    } catch (err) {
      if (err.code !== '42P04') throw err;
    }
    return `${name} (created)`;
  } finally {
    await client.end();
  }
}

(async () => {
  for (const url of process.env.ENSURE_DATABASES.split('\n').filter(Boolean)) {
    console.log(await ensure(url));
  }
})().catch((err) => {
  console.error(`postgres: ${err.message || err.code || err}`);
  process.exit(1);
});
JS
)" || die "postgres: could not reach or prepare the databases"

mapfile -t db_lines <<<"$db_result"
for ep in "${PG_ENDPOINTS[@]}"; do
  dbs=()
  for i in "${!PG_URLS[@]}"; do
    parse_url "${PG_URLS[$i]}" 5432
    [ "$URL_HOST:$URL_PORT" = "$ep" ] && dbs+=("${db_lines[$i]}")
  done
  names="$(printf '%s, ' "${dbs[@]}")"
  echo "postgres: up at $ep (${PG_STATUS[$ep]}); databases: ${names%, }"
done
echo "nats: up at $NATS_HOST:$NATS_PORT ($NATS_STATUS)"
