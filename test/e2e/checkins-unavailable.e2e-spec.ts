import type { NatsConnection } from 'nats';
import { Client } from 'pg';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { healthy, rideCode, rider } from '../support/factories';
import {
  natsClient,
  startAuthority,
  startTestGateway,
  tap,
  testDatabaseUrl,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';

const PILOT = 'S0312';

/**
 * PostgreSQL that cannot commit in time: a second connection holds the row lock of this one
 * rider's journey, so the batch's anti-passback upsert waits past TAP_DEADLINE_MS.
 * Only this rider is affected; nothing else in the shared database is locked.
 */
describe('check-ins when PostgreSQL cannot commit in time', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let nc: NatsConnection;
  let db: Client;
  let locker: Client;

  beforeAll(async () => {
    authority = await startAuthority();
    gw = await startTestGateway(authority.url, { env: { TAP_DEADLINE_MS: '400' } });
    nc = await natsClient();
    db = new Client({ connectionString: testDatabaseUrl() });
    locker = new Client({ connectionString: testDatabaseUrl() });
    await Promise.all([db.connect(), locker.connect()]);
  });

  afterAll(async () => {
    await locker.query('ROLLBACK').catch(() => undefined);
    await Promise.all([locker.end(), db.end()]);
    await nc?.drain();
    await gw?.close();
    await authority?.close();
  });

  const rowsFor = async (gateId: string, tapId: string) =>
    (
      await db.query<{ id: string }>(
        'SELECT id FROM check_ins WHERE station_id = $1 AND gate_id = $2 AND tap_id = $3',
        [PILOT, gateId, tapId],
      )
    ).rows.map((r) => r.id);

  it('answers see-staff RECORD_UNAVAILABLE, then a retry opens exactly once with its row', async () => {
    const r = await rider(gw.url, authority.url, healthy(Date.now()));
    const code = await rideCode(gw.url, r.riderId);
    const gateId = uniqueId('G');
    const tapId = uniqueId('tap');
    const traveller = `rider:${r.riderId}`;
    await db.query(
      `INSERT INTO journeys (traveller, inside, station_id, changed_at) VALUES ($1, false, $2, now() - interval '1 day')`,
      [traveller, PILOT],
    );
    await locker.query('BEGIN');
    await locker.query('SELECT 1 FROM journeys WHERE traveller = $1 FOR UPDATE', [traveller]);

    const started = Date.now();
    const refused = await tap(nc, {
      stationId: PILOT,
      gateId,
      tapId,
      credential: { kind: 'ride-code', code },
    });
    const waited = Date.now() - started;
    expect({ outcome: refused.outcome, reasons: refused.reasons }).toEqual({
      outcome: 'see-staff',
      reasons: ['RECORD_UNAVAILABLE'],
    });
    expect(refused.checkInId).toBeNull();
    expect(refused.display.en.length).toBeGreaterThan(0);
    expect(waited).toBeLessThan(2_000); // the bound, not the lock, decided how long the gate waited
    await locker.query('ROLLBACK');
    expect(await rowsFor(gateId, tapId)).toEqual([]);

    // The gate retries the same tap: the record is there now, so it opens, once.
    const retried = await tap(nc, {
      stationId: PILOT,
      gateId,
      tapId,
      credential: { kind: 'ride-code', code },
    });
    expect({ outcome: retried.outcome, reasons: retried.reasons }).toEqual({
      outcome: 'open',
      reasons: [],
    });
    expect(await rowsFor(gateId, tapId)).toEqual([retried.checkInId]);

    const again = await tap(nc, {
      stationId: PILOT,
      gateId,
      tapId,
      credential: { kind: 'ride-code', code },
    });
    expect(again).toEqual(retried);
    expect(await rowsFor(gateId, tapId)).toEqual([retried.checkInId]);
  });

  it('never replies open before its row is committed', async () => {
    // Every open this gateway has given in this file has its check-in row.
    const opened = gw.logs.lines
      .map(
        (l) => JSON.parse(l) as { msg?: string; outcome?: string; tapId?: string; gateId?: string },
      )
      .filter((l) => l.msg === 'tap decided' && l.outcome === 'open');
    expect(opened.length).toBeGreaterThan(0);
    for (const o of opened) expect(await rowsFor(o.gateId ?? '', o.tapId ?? '')).toHaveLength(1);
  });
});
