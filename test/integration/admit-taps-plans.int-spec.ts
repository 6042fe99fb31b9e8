import { randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { runMigrations } from '@app/persistence';
import {
  AdmissionsRepository,
  type Admission,
} from '../../apps/gateway/src/admissions/admissions.repository';
import { riderEntry } from '../support/admissions';
import { databaseName, maintenanceUrl, testDatabaseUrl, uniqueId } from '../support/db';

/**
 * admit_taps' statement plans are cached for the life of a connection. A gateway that boots on
 * an empty tap_receipts must not go on scanning the whole table once it has grown. This runs on
 * a database of its own, because the test needs the table empty at first.
 */
describe('admit_taps on a grown table', () => {
  const name = `gateway_plans_${randomUUID().slice(0, 8)}_test`;
  const url = (() => {
    const u = new URL(testDatabaseUrl());
    u.pathname = `/${name}`;
    return u.toString();
  })();
  let admin: Client;
  let pool: Pool;
  const plans: string[] = [];

  beforeAll(async () => {
    admin = new Client({ connectionString: maintenanceUrl(testDatabaseUrl()) });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${databaseName(url)}"`);
    await runMigrations(url);
    // One connection, so every call shares its cached plans, and auto_explain shows them.
    pool = new Pool({ connectionString: url, max: 1 });
    pool.on('connect', (c) => c.on('notice', (n) => plans.push(n.message ?? '')));
    await pool.query(`LOAD 'auto_explain'`);
    await pool.query(`SET auto_explain.log_min_duration = 0`);
    await pool.query(`SET auto_explain.log_nested_statements = on`);
    await pool.query(`SET auto_explain.log_level = notice`);
  }, 60_000);

  afterAll(async () => {
    await pool?.end();
    await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
    await admin.end();
  });

  const station = uniqueId('S');
  const entry = (n: number): Admission =>
    riderEntry(station, { tapId: `tap-${n}-${uniqueId('t')}` });

  it('reaches receipts by key, not by scanning, after the table has grown', async () => {
    const repo = new AdmissionsRepository(pool, pool);
    // More calls than PostgreSQL's five custom plans, so the plans in use are the cached ones.
    for (let call = 0; call < 8; call++) {
      const results = await repo.commit([entry(call * 2), entry(call * 2 + 1)], 3_600_000);
      expect(results.map((r) => r.kind)).toEqual(['admitted', 'admitted']);
    }
    await pool.query(`
      INSERT INTO tap_receipts (station_id, gate_id, tap_id, created_at)
      SELECT 'S-grown', 'G1', 'tap-' || n, now() FROM generate_series(1, 50000) n`);

    plans.length = 0;
    const results = await repo.commit([entry(100), entry(101)], 3_600_000);
    expect(results.map((r) => r.kind)).toEqual(['admitted', 'admitted']);
    const touchingReceipts = plans.filter((p) => p.includes('tap_receipts'));
    expect(touchingReceipts.length).toBeGreaterThan(0);
    expect(touchingReceipts.filter((p) => p.includes('Seq Scan on tap_receipts'))).toEqual([]);
  });
});
