#!/usr/bin/env node
// npm test [-- --tier T[,T...]] [jest args]
// Tiers, in order: static (tsc, eslint, prettier), unit, integration, e2e, browser, faults.
// Without --tier all run; browser and faults need Chromium and nats-server + PostgreSQL server
// binaries; when those are missing the run says what is missing and how to run the tier, and
// (with CI set) fails. Other arguments go to every jest run (e.g. `npm test -- decide`).
// The last line is jest's own count over every tier: `Tests: N passed, N failed[, N skipped]`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bin, die, run, runMain, tokenWords } from './lib.mjs';

export const TIERS = ['static', 'unit', 'integration', 'e2e', 'browser', 'faults'];
const SERVER_TIERS = ['integration', 'e2e', 'browser'];
// One file at a time on real servers. A suite whose teardown failed leaves a server's timers
// running and jest would wait for them forever after writing its results: --forceExit ends it,
// so a red run still reaches its summary (and CI its end).
const SERVER_RUN = ['--runInBand', '--forceExit'];

const HELP = `usage: npm test [-- --tier T[,T...]] [jest args]
  tiers: ${TIERS.join(', ')} (default: all)
  npm test -- --tier unit            pure and service unit tests only, no services needed
  npm test -- --tier e2e ride        e2e tests whose path matches "ride"
  npm test -- --tier browser         needs Chromium (CHROMIUM_PATH, default /usr/bin/chromium)
  npm test -- --tier faults          needs nats-server and PostgreSQL's initdb/pg_ctl; sets
                                     FAULTS_PROFILE=short (npm run test:faults runs the long one)
  --dry-run                          print what would run, run nothing`;

/** The tiers asked for and the arguments that go on to jest, in their order. */
export function parseTestArgs(argv) {
  const { values, tokens } = parseArgs({
    args: argv,
    options: {
      tier: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
      'dry-run': { type: 'boolean' },
    },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const jestArgs = [];
  for (const t of tokens) {
    if (t.kind === 'option' && ['tier', 'help', 'dry-run'].includes(t.name)) continue;
    else jestArgs.push(...tokenWords(t));
  }
  const asked = (values.tier ?? []).flatMap((v) => (v === true ? [''] : v.split(',')));
  for (const t of asked)
    if (!TIERS.includes(t)) die(`test: unknown tier "${t}"; tiers: ${TIERS.join(', ')}`);
  const tiers = asked.length ? TIERS.filter((t) => asked.includes(t)) : [...TIERS];
  return {
    tiers,
    explicit: asked.length > 0,
    jestArgs,
    help: values.help === true,
    dryRun: values['dry-run'] === true,
  };
}

function works(cmd, args) {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** What the browser tier lacks on this machine, or null. */
export function browserMissing(env = process.env) {
  const chromium = env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (existsSync(chromium)) return null;
  return {
    what: `no Chromium at ${chromium}`,
    how: 'install it (Debian/Ubuntu: apt-get install chromium) or point CHROMIUM_PATH at a Chromium or Chrome binary, then: npm test -- --tier browser',
  };
}

/** What the fault tier lacks on this machine, or null. */
export function faultsMissing(env = process.env) {
  const missing = [];
  const nats = [env.NATS_SERVER_BIN, 'nats-server', '/usr/sbin/nats-server'].filter(Boolean);
  if (!nats.some((c) => works(c, ['--version']))) missing.push('nats-server');
  const pgDirs = [''];
  if (existsSync('/usr/lib/postgresql'))
    for (const v of readdirSafe('/usr/lib/postgresql'))
      pgDirs.push(`/usr/lib/postgresql/${v}/bin/`);
  if (!pgDirs.some((d) => works(`${d}pg_ctl`, ['--version']) && works(`${d}initdb`, ['--version'])))
    missing.push('PostgreSQL server binaries (initdb, pg_ctl)');
  if (!missing.length) return null;
  return {
    what: `${missing.join(' and ')} not installed`,
    how: 'install them (Debian/Ubuntu: apt-get install nats-server postgresql; macOS: brew install nats-server postgresql@15), then: npm test -- --tier faults (about 4 minutes; npm run test:faults for the long profile)',
  };
}

function readdirSafe(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

async function main() {
  const { tiers, explicit, jestArgs, help, dryRun } = parseTestArgs(process.argv.slice(2));
  if (help) {
    console.log(HELP);
    return 0;
  }
  // In a dry run each step is printed (with the variables it sets) and succeeds.
  const step = async (cmd, args, env) => {
    if (!dryRun) return run(cmd, args, env ? { env: { ...process.env, ...env } } : {});
    const vars = Object.entries(env ?? {}).map(([k, v]) => `${k}=${v} `);
    console.log(`would run: ${vars.join('')}${[cmd, ...args].join(' ')}`);
    return 0;
  };
  const must = async (what, cmd, args) => {
    const code = await step(cmd, args);
    if (code !== 0) die(`${what} failed (exit ${code})`);
  };
  // Services first: on a bare Debian machine they install nats-server and PostgreSQL, which
  // the fault tier needs too.
  if (tiers.some((t) => t !== 'static' && t !== 'unit'))
    await must('npm run services -- --test', process.execPath, ['scripts/services.mjs', '--test']);
  const ci = !!process.env.CI && process.env.CI !== 'false';
  const notRun = [];
  const prereq = { browser: browserMissing, faults: faultsMissing };
  const selected = tiers.filter((t) => {
    const missing = prereq[t]?.();
    if (!missing) return true;
    if (explicit) die(`test: the ${t} tier cannot run: ${missing.what}.\n  ${missing.how}`);
    notRun.push({ tier: t, ...missing });
    return false;
  });
  for (const n of notRun)
    console.log(`test: skipping the ${n.tier} tier: ${n.what}.\n  To run it: ${n.how}`);

  if (selected.includes('static')) {
    await must('tsc', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
    if (!dryRun) console.log('tsc: ok');
    await must('eslint', bin('eslint'), ['.']);
    if (!dryRun) console.log('eslint: ok');
    if ((await step(bin('prettier'), ['--check', '.'])) !== 0)
      die('prettier: files above are not formatted; run npm run format');
  }

  const results = mkdtempSync(join(tmpdir(), 'gateway-tests-'));
  const runs = [];
  // A filtered run may leave a tier with nothing to run; a full run must find tests.
  const filtered = jestArgs.length ? ['--passWithNoTests'] : [];
  const jest = async (name, projects, extra, env) => {
    const out = join(results, `${name}.json`);
    if (!dryRun) runs.push({ name, out });
    const args = ['--selectProjects', ...projects, ...extra, '--json', `--outputFile=${out}`];
    return step(bin('jest'), [...args, ...filtered, ...jestArgs], env);
  };
  let status = 0;
  try {
    if (selected.includes('unit') && (await jest('unit', ['unit'], [])) !== 0) status = 1;
    const servers = SERVER_TIERS.filter((t) => selected.includes(t));
    if (servers.length && (await jest(servers.join('+'), servers, SERVER_RUN)) !== 0) status = 1;
    // The fault suite last: real processes killed and restarted. The short profile skips its
    // 30 s NATS outage; npm run test:faults runs everything and can write the figures' table.
    if (selected.includes('faults')) {
      const env = { FAULTS_PROFILE: process.env.FAULTS_PROFILE || 'short' };
      if ((await jest('faults', ['faults'], SERVER_RUN, env)) !== 0) status = 1;
    }
    const total = { passed: 0, failed: 0, skipped: 0 };
    const noResults = [];
    for (const r of runs) {
      if (!existsSync(r.out)) {
        noResults.push(r.name);
        continue;
      }
      const j = JSON.parse(readFileSync(r.out, 'utf8'));
      total.passed += j.numPassedTests;
      total.failed += j.numFailedTests;
      total.skipped += j.numPendingTests + j.numTodoTests;
    }
    if (noResults.length) status = 1;
    if (notRun.length && ci) status = 1;
    // The plain closing line any CI reads: 'N passed, N failed[, N skipped]'.
    const parts = [`${total.passed} passed`, `${total.failed} failed`];
    if (total.skipped) parts.push(`${total.skipped} skipped`);
    const notes = [];
    if (noResults.length) notes.push(`no results from ${noResults.join(', ')}`);
    if (notRun.length)
      notes.push(`not run: ${notRun.map((n) => `${n.tier} (${n.what})`).join(', ')}`);
    notes.unshift(`tiers: ${selected.filter((t) => t !== 'static').join(', ') || 'none'}`);
    console.log(`Tests: ${parts.join(', ')} (${notes.join('; ')})`);
    return status;
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
}

runMain('test', main);
