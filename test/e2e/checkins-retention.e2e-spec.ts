import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { RetentionService } from '../../apps/gateway/src/checkins/retention.service';
import { fixedClock } from '../../apps/gateway/src/common/clock';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import {
  bearer,
  startAuthority,
  startTestGateway,
  testDatabaseUrl,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';

const at = (iso: string) => Date.parse(iso);

/**
 * Retention with a moved clock. The test lives in 1995, a time no other test writes, so its
 * purge cannot touch anyone else's rows in the shared test database.
 */
describe('check-in retention: daily partitions, dropped whole when expired', () => {
  const clock = fixedClock(at('1995-03-01T12:00:00.000+08:00'));
  const station = uniqueId('S');
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let db: Client;

  const exists = async (name: string) =>
    (await db.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [name])).rows[0]
      .ok;
  const insert = async (iso: string) => {
    const id = randomUUID();
    await db.query(
      `INSERT INTO check_ins (id, checked_in_at, rider_id, medium, station_id, gate_id, tap_id, policy_version, policy_hash)
       VALUES ($1, $2, NULL, 'card:C1', $3, 'G01', $4, 'rv-test', 'h')`,
      [id, iso, station, uniqueId('tap')],
    );
    return id;
  };
  const stillThere = async (ids: string[]) =>
    (
      await db.query<{ id: string }>('SELECT id FROM check_ins WHERE id = ANY($1::uuid[])', [ids])
    ).rows.map((r) => r.id);

  beforeAll(async () => {
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    await cleanup();
    authority = await startAuthority();
    gw = await startTestGateway(authority.url, {
      clock,
      env: {
        RETENTION_DAYS: '28',
        CHECKIN_MAINTENANCE_INTERVAL_MS: '200',
        CHECKIN_PARTITIONS_AHEAD_DAYS: '2',
      },
    });
  });

  afterAll(async () => {
    await gw?.close();
    await authority?.close();
    await cleanup();
    for (const t of ['journeys', 'staff_passes', 'staff_verifications', 'tap_receipts'])
      await db.query(`DELETE FROM ${t} WHERE station_id = $1`, [station]);
    await db.end();
  });

  /** Removes this era's rows and partitions, whatever an earlier run left behind. */
  async function cleanup(): Promise<void> {
    await db.query(
      `DELETE FROM check_ins_default WHERE checked_in_at >= '1995-01-01' AND checked_in_at < '1996-01-01'`,
    );
    const parts = await db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'check_ins'::regclass AND c.relname LIKE 'check\\_ins\\_p1995%'`,
    );
    for (const { name } of parts.rows) await db.query(`DROP TABLE ${name}`);
  }

  it('creates today and the next two Shanghai days at boot', async () => {
    for (const day of ['19950301', '19950302', '19950303'])
      expect(await exists(`check_ins_p${day}`)).toBe(true);
    expect(await exists('check_ins_p19950304')).toBe(false);
    const bounds = await db.query<{ bound: string }>(
      `SELECT pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_class c WHERE c.relname = 'check_ins_p19950301'`,
    );
    // Asia/Shanghai midnight to midnight, i.e. 16:00Z to 16:00Z.
    expect(bounds.rows[0].bound).toMatch(/1995-02-28 16:00:00\+00.*1995-03-01 16:00:00\+00/);
  });

  it('drops expired days whole, deletes expired DEFAULT rows, and keeps the rest', async () => {
    const oldInPartition = await insert('1995-03-01T12:00:00+08:00'); // p19950301
    const oldNextDay = await insert('1995-03-02T23:59:59.999+08:00'); // p19950302
    const oldInDefault = await insert('1995-02-20T12:00:00+08:00'); // no partition: DEFAULT
    const newInPartition = await insert('1995-03-03T18:00:00+08:00'); // p19950303
    // A day DEFAULT already holds rows of: its partition cannot be created, it is skipped.
    const newInDefault = await insert('1995-03-31T09:00:00+08:00');
    expect(await stillThere([oldInPartition, oldNextDay, oldInDefault])).toHaveLength(3);

    // 1995-03-31 12:00 with 28 days of retention: everything before 03-03 12:00 has expired.
    clock.set(at('1995-03-31T12:00:00.000+08:00'));
    const deadline = Date.now() + 10_000;
    while ((await exists('check_ins_p19950301')) || (await stillThere([oldInDefault])).length) {
      if (Date.now() > deadline) throw new Error('the scheduled purge did not run within 10 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    // A pass that started before the clock moved may still be running: the first run() joins
    // it, the second is a whole pass of its own at the new instant.
    const retention = gw.app.get(RetentionService);
    await retention.run();
    await retention.run();

    expect(await exists('check_ins_p19950301')).toBe(false);
    expect(await exists('check_ins_p19950302')).toBe(false);
    expect(await exists('check_ins_p19950303')).toBe(true); // holds a row inside retention
    expect(await exists('check_ins_p19950331')).toBe(false); // DEFAULT held that day
    expect(await exists('check_ins_p19950401')).toBe(true);
    expect(await exists('check_ins_p19950402')).toBe(true);
    expect(gw.logs.text).toContain('DEFAULT already holds rows');

    expect((await stillThere([oldInPartition, oldNextDay, oldInDefault])).sort()).toEqual([]);
    expect((await stillThere([newInPartition, newInDefault])).sort()).toEqual(
      [newInPartition, newInDefault].sort(),
    );

    // The trace export sees exactly what retention kept.
    const res = await request(gw.url)
      .get('/checkins/export')
      .query({
        stationId: station,
        from: '1995-01-01T00:00:00+08:00',
        to: '1995-12-31T00:00:00+08:00',
      })
      .set(await bearer({ sub: 'officer-retention', role: 'authority' }))
      .expect(200);
    expect(res.headers['x-row-count']).toBe('2');
    const ids = res.text
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { checkInId: string }).checkInId);
    expect(ids).toEqual([newInPartition, newInDefault]);
  });

  it('purges journeys, staff passes, their verifications and tap receipts with the check-ins', async () => {
    // Old rows from 1995-03-20, new ones from 1995-04-20; the clock then moves to 04-30 12:00,
    // so with 28 days of retention everything before 04-02 12:00 has expired.
    const old = new Date('1995-03-20T10:00:00+08:00');
    const recent = new Date('1995-04-20T10:00:00+08:00');
    const rows = {
      journeys: [] as string[],
      passes: [] as string[],
      verifications: [] as string[],
      receipts: [] as string[],
    };
    for (const at of [old, recent]) {
      const traveller = `rider:${randomUUID()}`;
      await db.query(
        `INSERT INTO journeys (traveller, inside, station_id, changed_at) VALUES ($1, true, $2, $3)`,
        [traveller, station, at],
      );
      const verification = randomUUID();
      await db.query(
        `INSERT INTO staff_verifications (id, at, station_id, staff_id, evidence, verdict, policy_version)
         VALUES ($1, $2, $3, 'staff-retention', 'temperature', 'pass', 'rv-test')`,
        [verification, at, station],
      );
      const pass = randomUUID();
      await db.query(
        `INSERT INTO staff_passes (id, station_id, bound_kind, bound_to, expires_at, issued_by, issued_at, verification_id)
         VALUES ($1, $2, 'medium', 'card:C1', $3, 'staff-retention', $4, $5)`,
        [pass, station, new Date(at.getTime() + 600_000), at, verification],
      );
      const tapId = uniqueId('tap');
      await db.query(
        `INSERT INTO tap_receipts (station_id, gate_id, tap_id, created_at) VALUES ($1, 'G01', $2, $3)`,
        [station, tapId, at],
      );
      rows.journeys.push(traveller);
      rows.verifications.push(verification);
      rows.passes.push(pass);
      rows.receipts.push(tapId);
    }
    const left = async () => ({
      journeys: (
        await db.query<{ k: string }>(
          'SELECT traveller AS k FROM journeys WHERE traveller = ANY($1)',
          [rows.journeys],
        )
      ).rows.map((r) => r.k),
      passes: (
        await db.query<{ k: string }>(
          'SELECT id AS k FROM staff_passes WHERE id = ANY($1::uuid[])',
          [rows.passes],
        )
      ).rows.map((r) => r.k),
      verifications: (
        await db.query<{ k: string }>(
          'SELECT id AS k FROM staff_verifications WHERE id = ANY($1::uuid[])',
          [rows.verifications],
        )
      ).rows.map((r) => r.k),
      receipts: (
        await db.query<{ k: string }>(
          'SELECT tap_id AS k FROM tap_receipts WHERE station_id = $1 AND tap_id = ANY($2)',
          [station, rows.receipts],
        )
      ).rows.map((r) => r.k),
    });
    const kept = {
      journeys: [rows.journeys[1]],
      passes: [rows.passes[1]],
      verifications: [rows.verifications[1]],
      receipts: [rows.receipts[1]],
    };

    clock.set(at('1995-04-30T12:00:00.000+08:00'));
    const deadline = Date.now() + 10_000;
    while (JSON.stringify(await left()) !== JSON.stringify(kept)) {
      if (Date.now() > deadline) expect(await left()).toEqual(kept); // says what is left over
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 20_000);
});
