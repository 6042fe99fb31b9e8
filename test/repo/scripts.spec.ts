import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * Stand-ins for Chromium, nats-server, initdb and pg_ctl (each answers --version), so the plan
 * does not depend on what this machine has installed.
 */
const FAKE_BIN = mkdtempSync(join(tmpdir(), 'fake-bin-'));
for (const name of ['chromium', 'nats-server', 'initdb', 'pg_ctl']) {
  writeFileSync(join(FAKE_BIN, name), '#!/bin/sh\nexit 0\n');
  chmodSync(join(FAKE_BIN, name), 0o755);
}
afterAll(() => rmSync(FAKE_BIN, { recursive: true, force: true }));

/** npm test's plan, printed by its --dry-run: what would run, with the variables it sets. */
function plan(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['scripts/test.mjs', '--dry-run', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      CI: '',
      CHROMIUM_PATH: join(FAKE_BIN, 'chromium'),
      NATS_SERVER_BIN: join(FAKE_BIN, 'nats-server'),
      PATH: `${FAKE_BIN}${delimiter}${process.env.PATH ?? ''}`,
      ...env,
    },
  });
  const runs = r.stdout.split('\n').filter((l) => l.startsWith('would run: '));
  const jest = runs.filter((l) => l.includes('jest'));
  return { status: r.status, out: r.stdout + r.stderr, runs, jest };
}

describe('npm test (scripts/test.mjs)', () => {
  it('runs every tier by default, the fault tier with FAULTS_PROFILE=short', () => {
    const p = plan([], { FAULTS_PROFILE: '' });
    expect(p.status).toBe(0);
    expect(p.runs.some((l) => l.includes('services.mjs --test'))).toBe(true);
    expect(p.runs.some((l) => /tsc -p tsconfig.json --noEmit/.test(l))).toBe(true);
    expect(p.runs.some((l) => /eslint \.$/.test(l))).toBe(true);
    expect(p.runs.some((l) => /prettier --check \.$/.test(l))).toBe(true);
    expect(p.jest).toHaveLength(3);
    expect(p.jest[0]).toMatch(/--selectProjects unit /);
    expect(p.jest[1]).toMatch(/--selectProjects integration e2e browser --runInBand --forceExit/);
    expect(p.jest[2]).toMatch(
      /^would run: FAULTS_PROFILE=short .*--selectProjects faults --runInBand --forceExit/,
    );
    expect(p.out.trim().split('\n').pop()).toMatch(/^Tests: \d+ passed, \d+ failed/);
  });

  it.each([
    ['unit', /--selectProjects unit /, false],
    ['integration', /--selectProjects integration --runInBand/, true],
    ['e2e', /--selectProjects e2e --runInBand/, true],
    ['browser', /--selectProjects browser --runInBand/, true],
    ['faults', /--selectProjects faults --runInBand/, true],
  ])('--tier %s runs that tier alone', (tier, jestRun, services) => {
    const p = plan(['--tier', tier]);
    expect(p.status).toBe(0);
    expect(p.jest).toHaveLength(1);
    expect(p.jest[0]).toMatch(jestRun);
    expect(p.runs.some((l) => l.includes('tsc -p'))).toBe(false);
    expect(p.runs.some((l) => l.includes('services.mjs'))).toBe(services);
  });

  it('passes other arguments on to jest, and lets a filtered run find no tests', () => {
    const p = plan(['--tier=unit', 'decide', '-t', 'opens']);
    expect(p.jest[0]).toMatch(/--passWithNoTests decide -t opens$/);
  });

  it('says what the browser tier lacks and how to run it, instead of failing in it', () => {
    const p = plan([], { CHROMIUM_PATH: '/nonexistent/chromium' });
    expect(p.status).toBe(0);
    expect(p.out).toContain('skipping the browser tier: no Chromium at /nonexistent/chromium');
    expect(p.out).toContain('npm test -- --tier browser');
    expect(p.jest[1]).toMatch(/--selectProjects integration e2e --runInBand/);
    expect(p.out.trim().split('\n').pop()).toMatch(/not run: browser \(no Chromium/);
  });

  it('fails in CI when a tier cannot run, and when that tier is asked for by name', () => {
    expect(plan([], { CHROMIUM_PATH: '/nonexistent/chromium', CI: 'true' }).status).toBe(1);
    const named = plan(['--tier', 'browser'], { CHROMIUM_PATH: '/nonexistent/chromium' });
    expect(named.status).toBe(1);
    expect(named.out).toContain('the browser tier cannot run: no Chromium');
  });

  it('refuses an unknown tier by name', () => {
    const p = plan(['--tier', 'smoke']);
    expect(p.status).toBe(1);
    expect(p.out).toContain('unknown tier "smoke"');
  });
});

describe('npm scripts are portable', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };

  it('no script runs bash or a shell file', () => {
    for (const [name, cmd] of Object.entries(pkg.scripts)) {
      expect({ name, cmd }).toEqual({ name, cmd: expect.not.stringMatching(/\bbash\b|\.sh\b/) });
    }
    expect(readdirSync(join(ROOT, 'scripts')).filter((f) => f.endsWith('.sh'))).toEqual([]);
  });

  it('the scripts spawn no setsid, curl or ps', () => {
    const dir = join(ROOT, 'scripts');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.mjs'))) {
      const text = readFileSync(join(dir, f), 'utf8');
      expect({ f, spawns: text.match(/spawn(Sync)?\(\s*'(setsid|curl|ps)'/g) }).toEqual({
        f,
        spawns: null,
      });
    }
  });
});
