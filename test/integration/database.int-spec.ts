import { Writable } from 'node:stream';
import pino from 'pino';
import { Client } from 'pg';
import { pgPool, runMigrations } from '@app/persistence';
import { loadConfig } from '../../apps/gateway/src/config';
import { openDatabase, type GatewayDatabase } from '../../apps/gateway/src/database';
import { testDatabaseUrl } from '../support/db';

/** The gateway's two pools, opened as the gateway opens them, on the real database. */
describe('gateway database', () => {
  const warnings: Array<{ msg: string; pool: string; err: string }> = [];
  const waiters: Array<() => void> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      warnings.push(JSON.parse(chunk.toString()));
      for (const wake of waiters.splice(0)) wake();
      done();
    },
  });
  const nextWarning = (count: number): Promise<void> =>
    new Promise((resolve) => {
      const check = () => (warnings.length >= count ? resolve() : waiters.push(check));
      check();
    });

  let db: GatewayDatabase;
  const admin = new Client({ connectionString: testDatabaseUrl() });

  beforeAll(async () => {
    await runMigrations(testDatabaseUrl());
    await admin.connect();
    const config = loadConfig({
      DATABASE_URL: testDatabaseUrl(),
      TAP_DEADLINE_MS: '777',
    });
    db = await openDatabase(config, pino({ level: 'warn' }, sink));
  });

  afterAll(async () => {
    await db?.close();
    await admin.end();
  });

  it('bounds each admission statement by the tap deadline, and the rest by 10 s', async () => {
    const show = async (ds: GatewayDatabase['general']) =>
      (await ds.query<{ statement_timeout: string }[]>('SHOW statement_timeout'))[0]
        .statement_timeout;
    await expect(show(db.admissions)).resolves.toBe('777ms');
    await expect(show(db.general)).resolves.toBe('10s');
    // The hot path's raw queries go to the same pools.
    const raw = await pgPool(db.admissions).query<{ t: string }>(
      'SELECT current_setting($1) AS t',
      ['statement_timeout'],
    );
    expect(raw.rows[0].t).toBe('777ms');
  });

  it('bounds the export pool by the export deadline, idle transactions included, and names it', async () => {
    const [row] = await db.exports.query<
      { statement_timeout: string; idle: string; name: string }[]
    >(
      `SELECT current_setting('statement_timeout') AS statement_timeout,
              current_setting('idle_in_transaction_session_timeout') AS idle,
              current_setting('application_name') AS name`,
    );
    expect(row).toEqual({ statement_timeout: '1min', idle: '1min', name: 'gateway-export' });
    expect(pgPool(db.exports).options.max).toBe(2);
  });

  it('keeps the admissions pool apart: a full general pool does not hold up a commit', async () => {
    const general = pgPool(db.general);
    const held = await Promise.all(
      Array.from({ length: general.options.max }, () => general.connect()),
    );
    try {
      const r = await pgPool(db.admissions).query<{ one: number }>('SELECT 1 AS one');
      expect(r.rows[0].one).toBe(1);
      expect(general.waitingCount).toBe(0);
    } finally {
      for (const c of held) c.release();
    }
  });

  it('logs an idle connection the server dropped, and the next query gets a new one', async () => {
    for (const [role, ds] of Object.entries({ general: db.general, admissions: db.admissions })) {
      const before = warnings.length;
      const [{ pid }] = await ds.query<{ pid: number }[]>('SELECT pg_backend_pid() AS pid');
      // The connection is idle in the pool now; the server ends it (as a restart would).
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await nextWarning(before + 1);
      expect(warnings[before]).toMatchObject({ msg: 'postgres connection error', pool: role });
      const [{ again }] = await ds.query<{ again: number }[]>('SELECT pg_backend_pid() AS again');
      expect(again).not.toBe(pid);
    }
  });

  it('logs a checked-out connection the server ended while it was held, and the process lives on', async () => {
    for (const [role, ds] of Object.entries({ admissions: db.admissions, exports: db.exports })) {
      const before = warnings.length;
      const client = await pgPool(ds).connect();
      const {
        rows: [{ pid }],
      } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // Held between statements (a transaction, a batch): pg-pool no longer listens on it.
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await nextWarning(before + 1);
      expect(warnings[before]).toMatchObject({ msg: 'postgres connection error', pool: role });
      await expect(client.query('SELECT 1')).rejects.toThrow();
      client.release(true);
      const {
        rows: [{ again }],
      } = await pgPool(ds).query<{ again: number }>('SELECT pg_backend_pid() AS again');
      expect(again).not.toBe(pid);
    }
  });
});
