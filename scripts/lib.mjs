// Shared helpers for the npm scripts. Plain Node (no bash, curl, ps or setsid), so the
// quickstart runs the same on Linux, macOS and in slim containers.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** npm runs scripts from the root; INIT_CWD is where it was called. */
export const CALLER_DIR = process.env.INIT_CWD || process.cwd();
process.chdir(REPO_ROOT);

export const DEFAULTS = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/gateway',
  TEST_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/gateway_test',
  NATS_URL: 'nats://127.0.0.1:4222',
};
for (const [k, v] of Object.entries(DEFAULTS)) if (!process.env[k]) process.env[k] = v;

export class ScriptError extends Error {}

/** Ends the script with a message (no stack): what is wrong and what to do. */
export function die(message) {
  throw new ScriptError(message);
}

/** Runs main, printing a ScriptError's message alone; the exit code is main's result. */
export function runMain(name, main) {
  main().then(
    (code) => process.exit(code ?? 0),
    (err) => {
      if (err instanceof ScriptError) process.stderr.write(`${err.message}\n`);
      else process.stderr.write(`${name}: ${err?.stack ?? err}\n`);
      process.exit(1);
    },
  );
}

/** A path the caller typed, relative to where they ran npm. */
export function callerPath(p) {
  return isAbsolute(p) ? p : join(CALLER_DIR, p);
}

/** Host and port of a URL (the first server of a comma-separated list). */
export function hostPort(url, defaultPort) {
  const first = url.split(',')[0].trim();
  const u = new URL(first.includes('://') ? first : `nats://${first}`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  return { host, port: Number(u.port || defaultPort) };
}

export function isLocalHost(host) {
  return host === 'localhost' || host.startsWith('127.') || host === '::1';
}

/** True when something accepts a TCP connection within the timeout. */
export function tcpOpen(host, port, timeoutMs = 2000) {
  return new Promise((done) => {
    const s = connect({ host, port });
    const finish = (ok) => {
      s.destroy();
      done(ok);
    };
    s.setTimeout(timeoutMs, () => finish(false));
    s.once('connect', () => finish(true));
    s.once('error', () => finish(false));
  });
}

/** The server's INFO object, or null when nothing answers like NATS. */
export function natsInfo(host, port, timeoutMs = 3000) {
  return new Promise((done) => {
    const s = connect({ host, port });
    let buf = '';
    const finish = (v) => {
      s.destroy();
      done(v);
    };
    s.setTimeout(timeoutMs, () => finish(null));
    s.once('error', () => finish(null));
    s.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl).trim();
      if (!line.startsWith('INFO ')) return finish(null);
      try {
        finish(JSON.parse(line.slice(5)));
      } catch {
        finish(null);
      }
    });
  });
}

/** True when GET url answers 200 within the timeout. */
export async function httpOk(url, timeoutMs = 2000) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A local package's binary (node_modules/.bin), so no npx lookup is needed. */
export function bin(name) {
  const suffix = process.platform === 'win32' ? '.cmd' : '';
  const p = join(REPO_ROOT, 'node_modules', '.bin', name + suffix);
  if (!existsSync(p)) die(`${name} is not installed: run npm ci first`);
  return p;
}

/**
 * Runs a command with inherited stdio and resolves to its exit code (signals count as 128+n).
 * While it runs, Ctrl-C and SIGTERM reach it (same process group) and this process waits.
 */
export function run(cmd, args, opts = {}) {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, {
      stdio: 'inherit',
      shell: process.platform === 'win32',
      ...opts,
    });
    const ignore = () => undefined;
    process.on('SIGINT', ignore);
    process.on('SIGTERM', ignore);
    child.once('error', (err) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', ignore);
      fail(err);
    });
    child.once('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', ignore);
      done(code ?? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGKILL' ? 9 : 15));
    });
  });
}

/** Runs a command; a non-zero exit ends the script with `what` failed. */
export async function mustRun(what, cmd, args, opts) {
  const code = await run(cmd, args, opts);
  if (code !== 0) die(`${what} failed (exit ${code})`);
}

/**
 * Compiles the whole tree (apps, libs, migrations, gate-sim, scripts) to dist once with the Nest
 * CLI's tsc builder, which rewrites the @app/* aliases to relative paths: dist needs no hook.
 */
export async function build() {
  await mustRun('build (nest build)', bin('nest'), ['build']);
}

/** The Node arguments that run a compiled entry point. */
export function distArgs(entry) {
  return [join('dist', entry)];
}

/** A parseArgs token (strict: false) back as the command-line words it came from. */
export function tokenWords(t) {
  if (t.kind === 'positional') return [t.value];
  if (t.kind === 'option-terminator') return ['--'];
  if (t.inlineValue) return [`${t.rawName}=${t.value}`];
  return t.value === undefined ? [t.rawName] : [t.rawName, t.value];
}
