#!/usr/bin/env node
// npm run services [-- --test] [-- --nats-config FILE]
// Makes sure PostgreSQL and NATS (with JetStream) answer at DATABASE_URL and NATS_URL.
// Uses running servers when they answer; otherwise starts local ones under .data/ from installed
// binaries, installing them first when running as root on Debian/Ubuntu.
//   --test               also create the database in TEST_DATABASE_URL
//   --nats-config FILE   config file for a NATS server this script starts (-c FILE)
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  REPO_ROOT,
  callerPath,
  die,
  hostPort,
  isLocalHost,
  natsInfo,
  runMain,
  sleep,
  tcpOpen,
} from './lib.mjs';

const HELP = `usage: npm run services [-- --test] [-- --nats-config FILE]
  --test               also create the database in TEST_DATABASE_URL
  --nats-config FILE   config file for a NATS server this script starts (-c FILE)`;

const isRoot = process.getuid?.() === 0;

/** A program on PATH, or null. */
function which(name) {
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** initdb and pg_ctl: on PATH, else the newest of the usual install places. */
function findPgBin() {
  const onPath = which('pg_ctl');
  if (onPath && which('initdb')) return onPath.replace(/[/\\]pg_ctl$/, '');
  const roots = [
    ['/usr/lib/postgresql', (v) => join('/usr/lib/postgresql', v, 'bin')],
    ['/usr', (v) => (v.startsWith('pgsql-') ? join('/usr', v, 'bin') : null)],
    ['/opt/homebrew/opt', (v) => join('/opt/homebrew/opt', v, 'bin')],
    ['/usr/local/opt', (v) => join('/usr/local/opt', v, 'bin')],
  ];
  const candidates = [];
  for (const [root, toBin] of roots) {
    if (!existsSync(root)) continue;
    for (const v of readdirSync(root)) {
      if (root.endsWith('/opt') && !v.startsWith('postgresql')) continue;
      const dir = toBin(v);
      if (dir) candidates.push(dir);
    }
  }
  const version = (p) => Number((p.match(/(\d+)(?:\/bin)?$/) || p.match(/(\d+)/) || [0, 0])[1]);
  candidates.sort((a, b) => version(b) - version(a));
  return (
    candidates.find((d) => existsSync(join(d, 'pg_ctl')) && existsSync(join(d, 'initdb'))) ?? null
  );
}

function natsServerBin() {
  for (const c of [process.env.NATS_SERVER_BIN, 'nats-server', '/usr/sbin/nats-server']) {
    if (c && spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0) return c;
  }
  return null;
}

/** 'existing' with JetStream, 'no-jetstream', or 'down'. */
async function natsStatus(host, port) {
  const info = await natsInfo(host, port);
  if (!info) return 'down';
  return info.jetstream ? 'existing' : 'no-jetstream';
}

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** As root the server runs as `postgres`. */
function asPostgres(cmd, args) {
  if (!isRoot) return sh(cmd, args);
  if (which('runuser')) return sh('runuser', ['-u', 'postgres', '--', cmd, ...args], { cwd: '/' });
  const quoted = [cmd, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return sh('su', ['-s', '/bin/sh', 'postgres', '-c', quoted], { cwd: '/' });
}

function passwdEntry(user) {
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${user}:`));
    if (!line) return null;
    const f = line.split(':');
    return { uid: Number(f[2]), gid: Number(f[3]), home: f[5] };
  } catch {
    return null;
  }
}

/**
 * The data directory. As root the server runs as `postgres`, which must own it and be able to
 * reach it; when the checkout is somewhere it cannot (e.g. under /root), the data lives in the
 * postgres user's home and .data/pg links to it.
 */
function preparePgDir() {
  mkdirSync('.data', { recursive: true });
  let dir = join(REPO_ROOT, '.data', 'pg');
  if (isRoot) {
    const pg = passwdEntry('postgres');
    if (!pg)
      die(
        "postgres: running as root, but there is no 'postgres' user to run the server as (useradd --system postgres, or run as a normal user)",
      );
    const link = existsSync('.data/pg') || isSymlink('.data/pg');
    if (isSymlink('.data/pg')) dir = realpathSync('.data/pg');
    else if (!link && !asPostgres('test', ['-x', join(REPO_ROOT, '.data')]).ok) {
      const tag = createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 12);
      dir = join(pg.home, 'one-code-ride', tag, 'pg');
      mkdirSync(dir, { recursive: true });
      symlinkSync(dir, '.data/pg');
    }
    mkdirSync(dir, { recursive: true });
    if (!existsSync(join(dir, 'PG_VERSION'))) chownSync(dir, pg.uid, pg.gid);
  } else {
    mkdirSync(dir, { recursive: true });
  }
  chmodSync(dir, 0o700);
  return dir;
}

function isSymlink(p) {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function startPostgres(pgBin, host, port) {
  const dir = preparePgDir();
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    const r = asPostgres(join(pgBin, 'initdb'), [
      ...['-D', dir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale'],
    ]);
    if (!r.ok) die(`postgres: initdb failed:\n${r.out}`);
    appendFileSync(join(dir, 'postgresql.conf'), "include_if_exists = 'gateway.conf'\n");
  }
  // TCP only: no unix socket, so path length and directory permissions never matter.
  const conf = join(dir, 'gateway.conf');
  writeFileSync(
    conf,
    `listen_addresses = '${host}'\nport = ${port}\nunix_socket_directories = ''\n`,
  );
  if (isRoot) {
    const pg = passwdEntry('postgres');
    chownSync(conf, pg.uid, pg.gid);
  }
  const log = join(dir, 'server.log');
  const r = asPostgres(join(pgBin, 'pg_ctl'), ['-D', dir, '-l', log, '-w', '-t', '60', 'start']);
  if (!r.ok) {
    let tail = '';
    try {
      tail = readFileSync(log, 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      /* no log yet */
    }
    die(
      `${r.out}\n${tail}\npostgres: could not start the server in .data/pg (log: .data/pg/server.log)`,
    );
  }
}

async function startNats(natsBin, host, port, config) {
  const dir = join(REPO_ROOT, '.data', 'nats');
  mkdirSync(dir, { recursive: true });
  rmSync(join(dir, 'nats.pid'), { force: true });
  const args = ['-js', '-sd', join(dir, 'js'), '-a', host, '-p', String(port)];
  args.push('-P', join(dir, 'nats.pid'));
  if (config) args.unshift('-c', config);
  const log = openSync(join(dir, 'nats.log'), 'a');
  // Its own process group and no inherited descriptors: it outlives this script and its callers.
  const child = spawn(natsBin, args, { detached: true, stdio: ['ignore', log, log] });
  let exited = false;
  child.once('exit', () => (exited = true));
  child.unref();
  for (let i = 0; i < 100 && !exited; i++) {
    if ((await natsStatus(host, port)) === 'existing') return;
    await sleep(100);
  }
  const tail = readFileSync(join(dir, 'nats.log'), 'utf8').split('\n').slice(-20).join('\n');
  die(`${tail}\nnats: could not start nats-server at ${host}:${port} (log: .data/nats/nats.log)`);
}

/** Installs Debian packages as root; a log goes to .data/apt.log. */
function aptInstall(pkgs) {
  mkdirSync('.data', { recursive: true });
  console.log(`installing ${pkgs.join(' ')} with apt-get (log: .data/apt.log)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const log = openSync('.data/apt.log', 'a');
  const opts = { stdio: ['ignore', log, log], env };
  const ok =
    spawnSync('apt-get', ['update'], opts).status === 0 &&
    spawnSync('apt-get', ['install', '-y', ...pkgs], opts).status === 0;
  if (!ok) {
    const tail = readFileSync('.data/apt.log', 'utf8').split('\n').slice(-20).join('\n');
    die(`${tail}\napt-get install ${pkgs.join(' ')} failed (full log: .data/apt.log)`);
  }
}

/** A package we just installed may have started its own server on our port; stop it. */
function stopPackagedPostgres(port) {
  if (!which('pg_lsclusters')) return;
  const list = sh('pg_lsclusters', ['--no-header']).out.split('\n');
  for (const line of list) {
    const [ver, name, p, state] = line.trim().split(/\s+/);
    if (p === String(port) && state === 'online') {
      console.log(
        `postgres: stopping the packaged cluster ${ver}/${name} on port ${p} (set to manual start) to run our own`,
      );
      sh('pg_ctlcluster', [ver, name, 'stop']);
      writeFileSync(`/etc/postgresql/${ver}/${name}/start.conf`, 'manual\n');
    }
  }
}

const retryable = new Set(['57P03', 'ECONNREFUSED', 'ECONNRESET']);

async function ensureDatabase(pg, url) {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name) die(`postgres: no database name in ${url.replace(/:[^:@/]*@/, ':***@')}`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  let client;
  for (let attempt = 1; ; attempt++) {
    client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      break;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (attempt >= 40 || !retryable.has(err.code)) die(`postgres: ${err.message || err.code}`);
      await sleep(250);
    }
  }
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount > 0) return name;
    try {
      await client.query(`create database "${name.replace(/"/g, '""')}"`);
    } catch (err) {
      if (err.code !== '42P04') die(`postgres: ${err.message}`);
    }
    return `${name} (created)`;
  } finally {
    await client.end();
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      test: { type: 'boolean', default: false },
      'nats-config': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const natsConfig = values['nats-config'] ? callerPath(values['nats-config']) : null;
  if (natsConfig && !existsSync(natsConfig)) die(`nats: config file not readable: ${natsConfig}`);

  const pgUrls = [process.env.DATABASE_URL];
  if (values.test) pgUrls.push(process.env.TEST_DATABASE_URL);
  const endpoints = new Map(); // "host:port" -> { host, port, status }
  for (const url of pgUrls) {
    const { host, port } = hostPort(url, 5432);
    const key = `${host}:${port}`;
    if (endpoints.has(key)) continue;
    endpoints.set(key, { host, port, status: (await tcpOpen(host, port)) ? 'existing' : 'down' });
  }
  const nats = hostPort(process.env.NATS_URL, 4222);
  let natsState = await natsStatus(nats.host, nats.port);
  const pgDown = [...endpoints.values()].filter((e) => e.status === 'down');

  const problems = [];
  for (const e of pgDown) {
    if (!isLocalHost(e.host))
      problems.push(
        `postgres: nothing answers at ${e.host}:${e.port}, which is not this machine; start it there or point DATABASE_URL/TEST_DATABASE_URL elsewhere.`,
      );
  }
  if (natsState === 'down' && !isLocalHost(nats.host))
    problems.push(
      `nats: nothing answers at ${nats.host}:${nats.port}, which is not this machine; start it there or point NATS_URL elsewhere.`,
    );
  if (natsState === 'no-jetstream')
    problems.push(
      `nats: the server at ${nats.host}:${nats.port} runs without JetStream; restart it with -js or point NATS_URL at another server.`,
    );
  if (problems.length) die(problems.join('\n'));
  if (pgDown.length > 1)
    die(
      `postgres: nothing answers at ${pgDown.map((e) => `${e.host}:${e.port}`).join(', ')}; this script runs one local server, so point DATABASE_URL and TEST_DATABASE_URL at the same host:port.`,
    );

  let pgBin = pgDown.length ? findPgBin() : null;
  let natsBin = natsState === 'down' ? natsServerBin() : null;
  const missing = [];
  if (pgDown.length && !pgBin) missing.push('postgresql');
  if (natsState === 'down' && !natsBin) missing.push('nats-server');
  if (missing.length) {
    if (isRoot && existsSync('/etc/debian_version') && which('apt-get')) {
      aptInstall(missing);
      if (missing.includes('postgresql')) {
        pgBin = findPgBin();
        if (!pgBin) die('postgres: installed, but initdb/pg_ctl are still not found');
        for (const e of pgDown) stopPackagedPostgres(e.port);
      }
      if (missing.includes('nats-server')) {
        natsBin = natsServerBin();
        natsState = await natsStatus(nats.host, nats.port);
        if (natsState !== 'existing' && which('systemctl')) {
          if (sh('systemctl', ['is-active', '--quiet', 'nats-server']).ok) {
            console.log(
              'nats: disabling the packaged nats-server service (no JetStream) to run our own',
            );
            sh('systemctl', ['disable', '--now', 'nats-server']);
            natsState = 'down';
          }
        }
      }
    } else {
      const lines = [];
      if (missing.includes('postgresql'))
        lines.push(
          `postgres: nothing answers at ${pgDown.map((e) => `${e.host}:${e.port}`).join(', ')} and no PostgreSQL server binaries (initdb, pg_ctl) were found.`,
          '  install PostgreSQL 15 or newer (Debian/Ubuntu: sudo apt-get install postgresql; macOS: brew install postgresql@15),',
          '  or start a server yourself and set DATABASE_URL (and TEST_DATABASE_URL for tests).',
        );
      if (missing.includes('nats-server'))
        lines.push(
          `nats: nothing answers at ${nats.host}:${nats.port} and nats-server is not installed.`,
          '  install it (Debian/Ubuntu: sudo apt-get install nats-server; macOS: brew install nats-server),',
          '  or start one with JetStream (nats-server -js) yourself and set NATS_URL.',
        );
      die(lines.join('\n'));
    }
  }

  for (const e of pgDown) {
    if (await tcpOpen(e.host, e.port)) {
      e.status = 'existing';
    } else {
      startPostgres(pgBin, e.host, e.port);
      e.status = 'started, .data/pg';
    }
  }
  if (natsState === 'down') natsState = await natsStatus(nats.host, nats.port);
  if (natsState === 'down') {
    await startNats(natsBin ?? natsServerBin(), nats.host, nats.port, natsConfig);
    natsState = 'started, .data/nats';
  } else if (natsConfig) {
    console.log('nats: note: --nats-config not applied, a server was already running');
  }

  let pg;
  try {
    pg = createRequire(join(REPO_ROOT, 'package.json'))('pg');
  } catch {
    die('postgres: node_modules/pg is missing; run npm ci first');
  }
  const dbs = [];
  for (const url of pgUrls) dbs.push(await ensureDatabase(pg, url));
  for (const [key, e] of endpoints) {
    const names = pgUrls
      .map((url, i) => ({ url, db: dbs[i] }))
      .filter(({ url }) => {
        const { host, port } = hostPort(url, 5432);
        return `${host}:${port}` === key;
      })
      .map(({ db }) => db);
    console.log(`postgres: up at ${key} (${e.status}); databases: ${names.join(', ')}`);
  }
  console.log(`nats: up at ${nats.host}:${nats.port} (${natsState})`);
  return 0;
}

runMain('services', main);
