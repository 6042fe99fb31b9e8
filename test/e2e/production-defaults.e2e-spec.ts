import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { newAccessKeyFile } from '@app/access-token';
import { testDatabaseUrl, testNatsUrl } from '../support/db';

interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a script or service from source as the real process (ts-node, no type check), with only
 * the environment given: nothing of the test runner's leaks in. `until` ends it by SIGTERM once
 * its output matches (a service that started).
 */
function run(
  entry: string,
  env: Record<string, string>,
  opts: { argv?: string[]; until?: RegExp } = {},
): Promise<Ended> {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', entry, ...(opts.argv ?? [])],
    {
      env: {
        PATH: process.env.PATH ?? '',
        TS_NODE_TRANSPILE_ONLY: 'true',
        TS_NODE_BASEURL: '.',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  const watch = () => {
    if (opts.until?.test(stdout + stderr)) child.kill('SIGTERM');
  };
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    watch();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    watch();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    }),
  );
}

const GATEWAY = 'apps/gateway/src/main.ts';
/** A gateway that started is stopped at once: a refusal that did not happen fails fast. */
const STARTED = /gateway listening/;
const AUTHORITY = 'apps/health-authority/src/main.ts';

describe('production refuses development defaults by name, at boot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prod-defaults-'));
  const devRide = join(dir, 'dev', 'ride-code-keys.json');
  const devAccess = join(dir, 'dev', 'access-keys.json');
  const prodRide = join(dir, 'prod', 'ride-code-keys.json');
  const idpPublic = join(dir, 'prod', 'idp-public-keys.json');
  /** Everything a real deployment sets; each test swaps in one or more development values. */
  let real: Record<string, string>;

  beforeAll(async () => {
    // Exactly what `npm start` runs before starting the services: the development key files.
    const dev = await run(
      'scripts/keys.ts',
      {
        RIDE_CODE_KEYS_FILE: devRide,
        ACCESS_KEYS_FILE: devAccess,
      },
      { argv: ['init'] },
    );
    if (dev.code !== 0) throw new Error(`keys init failed: ${dev.stderr}`);
    // And what an operator runs for production keys; the IdP publishes only public keys.
    const prod = await run(
      'scripts/keys.ts',
      { NODE_ENV: 'production', RIDE_CODE_KEYS_FILE: prodRide },
      { argv: ['init'] },
    );
    if (prod.code !== 0) throw new Error(`production keys init failed: ${prod.stderr}`);
    const { keys } = await newAccessKeyFile('idp-1');
    writeFileSync(idpPublic, JSON.stringify({ keys: keys.map(({ d: _d, ...pub }) => pub) }));
    real = {
      NODE_ENV: 'production',
      PORT: '0',
      // Metrics on a port of their own: a fixed one may be taken on a shared machine.
      ADMIN_PORT: '0',
      DATABASE_URL: testDatabaseUrl(),
      NATS_URL: testNatsUrl(),
      AUTHORITY_API_KEY: 'a-real-authority-key-0123456789',
      ID_HASH_KEY: 'a-real-id-hash-key-0123456789',
      ACCESS_ISSUER: 'https://idp.metro.example',
      RIDE_CODE_KEYS_FILE: prodRide,
      ACCESS_KEYS_FILE: idpPublic,
      LOG_LEVEL: 'info',
    };
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts with real secrets, a real issuer and production keys (the control)', async () => {
    const r = await run(GATEWAY, real, { until: STARTED });
    expect({ stdout: r.stdout, stderr: r.stderr }).toEqual({
      stdout: expect.stringContaining('gateway listening'),
      stderr: '',
    });
    expect(r.stderr).not.toMatch(/configuration error/);
  }, 120_000);

  it('names every development default it would fall back to, and exits 2', async () => {
    const r = await run(GATEWAY, { NODE_ENV: 'production' }, { until: STARTED });
    expect(r.code).toBe(2);
    for (const name of [
      'AUTHORITY_API_KEY must be set',
      'ID_HASH_KEY must be set',
      'ACCESS_ISSUER must be set',
      'RIDE_CODE_KEYS_FILE must be set',
      'ACCESS_KEYS_FILE must be set',
    ])
      expect(r.stderr).toContain(name);
  }, 120_000);

  it('names the development authority key, ID hash key and issuer when set explicitly', async () => {
    const r = await run(
      GATEWAY,
      {
        ...real,
        AUTHORITY_API_KEY: 'dev-authority-key',
        ID_HASH_KEY: 'dev-only-id-hash-key-change-me',
        ACCESS_ISSUER: 'one-code-ride-dev-idp',
      },
      { until: STARTED },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('AUTHORITY_API_KEY is a development default');
    expect(r.stderr).toContain('ID_HASH_KEY is a development default');
    expect(r.stderr).toContain('ACCESS_ISSUER is the development issuer');
  }, 120_000);

  it('refuses the key files npm start creates, found by their content at any path', async () => {
    const r = await run(
      GATEWAY,
      {
        ...real,
        RIDE_CODE_KEYS_FILE: devRide,
        ACCESS_KEYS_FILE: devAccess,
      },
      { until: STARTED },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`RIDE_CODE_KEYS_FILE (${devRide}) is a development key set`);
    expect(r.stderr).toContain(
      `ACCESS_KEYS_FILE (${devAccess}) is the development identity provider's key`,
    );
    expect(r.stderr).toContain(`ACCESS_KEYS_FILE (${devAccess}) holds a private signing key`);
    // The private key itself is never repeated.
    const { keys } = JSON.parse(readFileSync(devAccess, 'utf8')) as { keys: { d: string }[] };
    expect(r.stderr).not.toContain(keys[0].d);
  }, 120_000);

  it('refuses the development key of the authority stand-in', async () => {
    const cases: Record<string, string>[] = [{}, { AUTHORITY_API_KEY: 'dev-authority-key' }];
    for (const env of cases) {
      const r = await run(
        AUTHORITY,
        { NODE_ENV: 'production', AUTHORITY_PORT: '0', ...env },
        { until: /listening/ },
      );
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/AUTHORITY_API_KEY .*development default/);
    }
  }, 120_000);
});

describe('the token script: development only, and never longer-lived than the gateway accepts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'token-script-'));
  const keys = join(dir, 'access-keys.json');

  beforeAll(async () => {
    writeFileSync(keys, JSON.stringify(await newAccessKeyFile('dev-1')));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const token = (env: Record<string, string>) =>
    run('scripts/token.ts', { ACCESS_KEYS_FILE: keys, ...env }, { argv: ['operator', 'op-1'] });

  it('mints a token of the lifetime asked for (the control)', async () => {
    const r = await token({ TOKEN_TTL_SECONDS: '600' });
    expect(r.code).toBe(0);
    const claims = decodeJwt(r.stdout.trim());
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(600);
  }, 60_000);

  it('refuses NODE_ENV=production', async () => {
    const r = await token({ NODE_ENV: 'production' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/refused with NODE_ENV=production/);
  }, 60_000);

  it('refuses a lifetime beyond the gateway maximum, or beyond a lower configured one', async () => {
    const cases: Record<string, string>[] = [
      { TOKEN_TTL_SECONDS: '86400' },
      { TOKEN_TTL_SECONDS: '3601' },
      { TOKEN_TTL_SECONDS: '1200', ACCESS_TOKEN_MAX_AGE_SECONDS: '900' },
      { TOKEN_TTL_SECONDS: 'forever' },
    ];
    for (const env of cases) {
      const r = await token(env);
      expect({ env, code: r.code, stdout: r.stdout }).toEqual({ env, code: 1, stdout: '' });
      expect(r.stderr).toMatch(/TOKEN_TTL_SECONDS must be an integer/);
    }
  }, 120_000);
});
