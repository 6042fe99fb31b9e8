import request from 'supertest';
import { Client } from 'pg';
import type { NatsConnection } from 'nats';
import { formatShanghai } from '@app/protocol';
import { fixedClock } from '../../apps/gateway/src/common/clock';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { healthy, rideCode, rider } from '../support/factories';
import {
  bearer,
  natsClient,
  startAuthority,
  startTestGateway,
  tap,
  testDatabaseUrl,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';

const HOUR = 3_600_000;

/** Versions are never deleted: cancel what a test left scheduled, so no gateway loads it. */
async function cancelLeftovers(
  db: Client,
  url: string,
  auth: { authorization: string },
  stations: string[],
): Promise<void> {
  const left = await db.query<{ id: string }>(
    `SELECT id FROM rule_versions WHERE cancelled_at IS NULL AND scope->'stations' ?| $1`,
    [stations],
  );
  for (const { id } of left.rows) await request(url).delete(`/rules/versions/${id}`).set(auth);
}

/** Shadow rollout: live taps are also decided under a scheduled version; only counts are kept. */
describe('shadow rollout of a scheduled version', () => {
  const T0 = Date.now();
  const clock = fixedClock(T0);
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let nc: NatsConnection;
  let db: Client;
  let asOperator: { authorization: string };
  const created: string[] = [];

  beforeAll(async () => {
    authority = await startAuthority();
    gw = await startTestGateway(authority.url, { clock });
    nc = await natsClient();
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    asOperator = await bearer({ sub: 'op-shadow', role: 'operator' });
  });

  afterAll(async () => {
    clock.set(T0);
    await cancelLeftovers(db, gw.url, asOperator, created);
    await nc.drain();
    await gw.close();
    await authority.close();
    await db.end();
  });

  const newStation = async (lines: string[]): Promise<string> => {
    const id = uniqueId('S');
    created.push(id);
    await db.query(
      `INSERT INTO stations (id, name_zh, name_en, lines) VALUES ($1, '测试站', 'Test station', $2)`,
      [id, lines],
    );
    return id;
  };
  const schedule = async (stationId: string, over: Record<string, unknown>) =>
    (
      await request(gw.url)
        .post('/rules/versions')
        .set(asOperator)
        .send({
          effectiveFrom: formatShanghai(T0 + HOUR),
          scope: { kind: 'stations', stations: [stationId] },
          testWindowHours: 72,
          oneCodeEnabled: true,
          reason: 'shadow test',
          ...over,
        })
        .expect(201)
    ).body as { id: string };
  const rideTap = async (stationId: string, riderId: string, mode: 'entry' | 'exit' = 'entry') =>
    tap(nc, {
      stationId,
      gateId: uniqueId('G'),
      mode,
      credential: { kind: 'ride-code', code: await rideCode(gw.url, riderId) },
    });
  const report = async (id: string) =>
    (await request(gw.url).get(`/rules/versions/${id}/shadow`).set(asOperator).expect(200)).body;

  it('counts, per station, the taps whose outcome a 48 h window would change', async () => {
    // On pilot line 3, so the 72 h one-code rules govern it live.
    const station = await newStation(['3', uniqueId('L')]);
    const v = await schedule(station, { testWindowHours: 48 });
    const in50h = await rider(gw.url, authority.url, healthy(T0, 50));
    const in5h = await rider(gw.url, authority.url, healthy(T0, 5));

    expect((await rideTap(station, in50h.riderId)).outcome).toBe('open');
    expect((await rideTap(station, in5h.riderId)).outcome).toBe('open');
    const ticket = await tap(nc, {
      stationId: station,
      gateId: 'G1',
      credential: { kind: 'single-journey', ticketNo: uniqueId('T') },
    });
    expect(ticket.reasons).toEqual(['VENUE_CHECK_REQUIRED']);
    // Exits are never shadowed: they check no rules that could change.
    await rideTap(station, in5h.riderId, 'exit');

    const r = await report(v.id);
    expect(r.version).toMatchObject({ id: v.id, testWindowHours: 48 });
    expect(r.pending).toBe(true);
    expect(r.stations).toEqual([
      {
        stationId: station,
        evaluated: 3,
        unchanged: 2,
        changed: 1,
        outcomeChanged: 1,
        notEvaluable: 0,
        transitions: expect.arrayContaining([
          {
            from: { outcome: 'open', reasons: [] },
            to: { outcome: 'see-staff', reasons: ['TEST_EXPIRED'] },
            taps: 1,
          },
          { from: { outcome: 'open', reasons: [] }, to: { outcome: 'open', reasons: [] }, taps: 1 },
          {
            from: { outcome: 'see-staff', reasons: ['VENUE_CHECK_REQUIRED'] },
            to: { outcome: 'see-staff', reasons: ['VENUE_CHECK_REQUIRED'] },
            taps: 1,
          },
        ]),
      },
    ]);

    // What is stored is only the aggregate: no rider, no tap time, no health value.
    const cols = await db.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'rule_shadow_counts' ORDER BY ordinal_position`,
    );
    expect(cols.rows.map((c: { column_name: string }) => c.column_name)).toEqual([
      'version_id',
      'station_id',
      'from_outcome',
      'from_reasons',
      'to_outcome',
      'to_reasons',
      'taps',
      'updated_at',
    ]);
    const rows = await db.query(`SELECT * FROM rule_shadow_counts WHERE version_id = $1`, [v.id]);
    const text = JSON.stringify(rows.rows);
    for (const secret of [in50h.riderId, in50h.idNumber, in5h.riderId, 'green'])
      expect(text).not.toContain(secret);
  });

  it('puts taps in a "not evaluable" bucket when only the new rules would need health data', async () => {
    // Off the pilot lines: one-code riding is not enabled live, so no health lookup happens.
    const station = await newStation([uniqueId('L')]);
    const v = await schedule(station, { oneCodeEnabled: true });
    const r1 = await rider(gw.url, authority.url, healthy(T0, 5));
    const reply = await rideTap(station, r1.riderId);
    expect(reply.reasons).toEqual(['ONE_CODE_NOT_ENABLED']);
    const r = await report(v.id);
    expect(r.stations).toEqual([
      {
        stationId: station,
        evaluated: 1,
        unchanged: 0,
        changed: 0,
        outcomeChanged: 0,
        notEvaluable: 1,
        transitions: [
          {
            from: { outcome: 'see-staff', reasons: ['ONE_CODE_NOT_ENABLED'] },
            to: { outcome: 'not-evaluable', reasons: [] },
            taps: 1,
          },
        ],
      },
    ]);
  });

  it('stops counting once the version is in force, and counts nothing for a cancelled one', async () => {
    const station = await newStation(['3', uniqueId('L')]);
    const cancelled = await schedule(station, { testWindowHours: 24 });
    await request(gw.url).delete(`/rules/versions/${cancelled.id}`).set(asOperator).expect(200);
    const v = await schedule(station, { testWindowHours: 48 });
    const r1 = await rider(gw.url, authority.url, healthy(T0, 5));
    await rideTap(station, r1.riderId);
    expect((await report(v.id)).stations[0].evaluated).toBe(1);
    expect((await report(cancelled.id)).stations).toEqual([]);

    clock.set(T0 + HOUR);
    try {
      const r2 = await rider(gw.url, authority.url, healthy(T0, 5));
      const reply = await rideTap(station, r2.riderId);
      expect(reply.policyVersion).toBe(v.id);
      const after = await report(v.id);
      expect(after.pending).toBe(false);
      expect(after.stations[0].evaluated).toBe(1);
    } finally {
      clock.set(T0);
    }
  });
});
