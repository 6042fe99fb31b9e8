import { randomUUID } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { Client } from 'pg';
import request from 'supertest';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { ConsentStore } from '../../apps/health-authority/src/consents/consent-store';
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

const PILOT = 'S0312';
const EXPORT = '/checkins/export';

interface Line {
  checkInId: string;
  checkedInAt: string;
  stationId: string;
  gateId: string;
  consentId: string | null;
  medium: string | null;
  policyVersion: string;
  policyHash: string;
}

const lines = (text: string): Line[] =>
  text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Line);

/** Binary-safe body for supertest: the export is streamed, not JSON. */
const asText = (res: request.Response): string => res.text;

describe('trace export for the health authority', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let nc: NatsConnection;
  let db: Client;
  const officer = uniqueId('officer');
  const asAuthority = () => bearer({ sub: officer, role: 'authority' });
  // Bulk rows live in 2001: a window no other test writes, so counts are exact.
  const bulkA = uniqueId('SA');
  const bulkB = uniqueId('SB');
  const bulkIds: string[] = [];

  beforeAll(async () => {
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    authority = await startAuthority();
    gw = await startTestGateway(authority.url);
    nc = await natsClient();
    // 1,500 rows at A and 1,000 at B, interleaved in time, 1 s apart.
    const base = Date.parse('2001-05-01T00:00:00+08:00');
    const rows = Array.from({ length: 2500 }, (_, i) => ({
      id: randomUUID(),
      at: new Date(base + i * 1000),
      station: i % 5 < 3 ? bulkA : bulkB,
    }));
    bulkIds.push(...rows.map((r) => r.id));
    await db.query(
      `INSERT INTO check_ins (id, checked_in_at, rider_id, medium, station_id, gate_id, tap_id, policy_version, policy_hash)
       SELECT id, at, NULL, 'card:C' || n, st, 'G01', 'tap-' || n, 'rv-test', 'hash'
       FROM unnest($1::uuid[], $2::timestamptz[], $3::text[]) WITH ORDINALITY AS t(id, at, st, n)`,
      [rows.map((r) => r.id), rows.map((r) => r.at), rows.map((r) => r.station)],
    );
  });

  afterAll(async () => {
    await db.query('DELETE FROM check_ins WHERE id = ANY($1::uuid[])', [bulkIds]);
    await nc?.drain();
    await gw?.close();
    await authority?.close();
    await db.end();
  });

  const window = {
    from: '2001-05-01T00:00:00+08:00',
    to: '2001-05-02T00:00:00+08:00',
  };

  const exportAround = async () => {
    const res = await request(gw.url)
      .get(EXPORT)
      .query({
        stationId: PILOT,
        from: new Date(Date.now() - 60_000).toISOString(),
        to: new Date(Date.now() + 60_000).toISOString(),
        limit: 10_000,
      })
      .set(await asAuthority())
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    return lines(asText(res));
  };

  it("exports a ride-code check-in with its instant, gate, the authority's own consent id and policy provenance", async () => {
    const r = await rider(gw.url, authority.url, healthy(Date.now()));
    const gateId = uniqueId('G');
    const reply = await tap(nc, {
      stationId: PILOT,
      gateId,
      credential: { kind: 'ride-code', code: await rideCode(gw.url, r.riderId) },
    });
    expect(reply.outcome).toBe('open');
    const exported = await exportAround();
    const mine = exported.filter((l) => l.checkInId === reply.checkInId);
    expect(mine).toEqual([
      {
        checkInId: reply.checkInId,
        checkedInAt: reply.decidedAt,
        stationId: PILOT,
        gateId,
        consentId: expect.stringMatching(/^c_/),
        medium: null,
        policyVersion: reply.policyVersion,
        policyHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    ]);
    expect(mine[0].checkedInAt).toMatch(/\+08:00$/);
    // The authority resolves it to the person; the gateway's rider id is nowhere in the export.
    expect(authority.app.get(ConsentStore).get(mine[0].consentId ?? '')?.idNumber).toBe(r.idNumber);
    expect(JSON.stringify(exported)).not.toContain(r.riderId);
  });

  it('exports no consent id for a rider whose linkage is revoked', async () => {
    const r = await rider(gw.url, authority.url, healthy(Date.now()));
    const reply = await tap(nc, {
      stationId: PILOT,
      gateId: uniqueId('G'),
      credential: { kind: 'ride-code', code: await rideCode(gw.url, r.riderId) },
    });
    expect(reply.outcome).toBe('open');
    await request(gw.url)
      .delete(`/riders/${r.riderId}/authorization`)
      .set(await bearer({ sub: r.riderId, role: 'rider' }))
      .expect(204);
    const mine = (await exportAround()).filter((l) => l.checkInId === reply.checkInId);
    expect(mine).toEqual([expect.objectContaining({ consentId: null })]);
  });

  it('pages with X-Row-Count and X-Next-Cursor, oldest first, each row exactly once', async () => {
    const seen: Line[] = [];
    const counts: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await request(gw.url)
        .get(EXPORT)
        .query({ stationId: [bulkA, bulkB], ...window, limit: 1000, ...(cursor ? { cursor } : {}) })
        .set(await asAuthority())
        .expect(200);
      const got = lines(asText(res));
      expect(res.headers['x-row-count']).toBe(String(got.length));
      counts.push(got.length);
      seen.push(...got);
      cursor = res.headers['x-next-cursor'];
      if (!cursor) break;
    }
    expect(counts).toEqual([1000, 1000, 500]);
    expect(new Set(seen.map((l) => l.checkInId)).size).toBe(2500);
    const instants = seen.map((l) => Date.parse(l.checkedInAt));
    expect(instants).toEqual([...instants].sort((a, b) => a - b));
    expect(seen.filter((l) => l.stationId === bulkA)).toHaveLength(1500);
  });

  it('filters by station and window, and streams CSV with a header line', async () => {
    const res = await request(gw.url)
      .get(EXPORT)
      .query({
        stationId: bulkB,
        from: '2001-05-01T00:00:00+08:00',
        to: '2001-05-01T00:00:10+08:00', // the first ten rows: four are at B
        format: 'csv',
      })
      .set(await asAuthority())
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['x-row-count']).toBe('4');
    expect(res.headers['x-next-cursor']).toBeUndefined();
    const rows = asText(res).trimEnd().split('\r\n');
    expect(rows[0]).toBe(
      'checkInId,checkedInAt,stationId,gateId,consentId,medium,policyVersion,policyHash',
    );
    expect(rows).toHaveLength(5);
    expect(rows[1]).toMatch(
      new RegExp(
        `^[0-9a-f-]{36},2001-05-01T00:00:03\\.000\\+08:00,${bulkB},G01,,card:C4,rv-test,hash$`,
      ),
    );
  });

  it('audits every export (who, window, stations, rows) in an append-only table', async () => {
    const auditor = uniqueId('auditor');
    await request(gw.url)
      .get(EXPORT)
      .query({ stationId: [bulkB, bulkA], ...window, limit: 2000 })
      .set(await bearer({ sub: auditor, role: 'authority' }))
      .expect(200);
    const audit = await db.query(
      `SELECT actor, actor_role, station_ids, window_from, window_to, format, row_count
       FROM checkin_export_audit WHERE actor = $1`,
      [auditor],
    );
    expect(audit.rows).toEqual([
      {
        actor: auditor,
        actor_role: 'authority',
        station_ids: [bulkA, bulkB].sort(),
        window_from: new Date(window.from),
        window_to: new Date(window.to),
        format: 'ndjson',
        row_count: 2000,
      },
    ]);
    for (const sql of [
      'UPDATE checkin_export_audit SET row_count = 0 WHERE actor = $1',
      'DELETE FROM checkin_export_audit WHERE actor = $1',
    ]) {
      await expect(db.query(sql, [auditor])).rejects.toThrow(/append-only/);
    }
    await expect(db.query('TRUNCATE checkin_export_audit')).rejects.toThrow(/append-only/);
    const after = await db.query(
      'SELECT count(*)::int AS n FROM checkin_export_audit WHERE actor = $1',
      [auditor],
    );
    expect(after.rows[0].n).toBe(1);
  });

  it.each([
    ['rider', { sub: randomUUID(), role: 'rider' as const }],
    ['staff', { sub: 'staff-1', role: 'staff' as const, station: PILOT }],
    ['operator', { sub: 'op-1', role: 'operator' as const }],
  ])('refuses the %s role with 403', async (_name, principal) => {
    const res = await request(gw.url)
      .get(EXPORT)
      .query({ stationId: PILOT, ...window })
      .set(await bearer(principal))
      .expect(403);
    expect(res.body).toEqual({ code: 'FORBIDDEN', message: expect.any(String) });
  });

  it('answers 401 without a token', async () => {
    const res = await request(gw.url)
      .get(EXPORT)
      .query({ stationId: PILOT, ...window })
      .expect(401);
    expect(res.body).toEqual({ code: 'UNAUTHENTICATED', message: expect.any(String) });
  });

  it.each([
    ['no station', { from: window.from, to: window.to }],
    ['a bad station id', { stationId: 'S.1', ...window }],
    [
      'an instant without an offset',
      { stationId: PILOT, from: '2001-05-01T00:00:00', to: window.to },
    ],
    ['an empty window', { stationId: PILOT, from: window.to, to: window.from }],
    ['a forged cursor', { stationId: PILOT, ...window, cursor: 'bm90LWEtY3Vyc29y' }],
    ['an unknown format', { stationId: PILOT, ...window, format: 'xml' }],
    ['a page too large', { stationId: PILOT, ...window, limit: 100_000 }],
  ])('answers 400 with a clear message for %s', async (_name, query) => {
    const res = await request(gw.url)
      .get(EXPORT)
      .query(query)
      .set(await asAuthority())
      .expect(400);
    expect(res.body).toEqual({ code: 'VALIDATION_FAILED', message: expect.any(String) });
    expect((res.body as { message: string }).message.length).toBeGreaterThan(5);
  });
});

describe('trace exports are bounded: a connection of their own, a deadline, a cap', () => {
  const DEADLINE_MS = 3_000;
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let nc: NatsConnection;
  let db: Client;
  /** Holds a lock the export's query needs (rows of 2001 live in the default partition). */
  let locker: Client;
  const station = uniqueId('SX');
  const window = { from: '2001-06-01T00:00:00+08:00', to: '2001-06-02T00:00:00+08:00' };
  const asAuthority = () => bearer({ sub: uniqueId('officer'), role: 'authority' });

  beforeAll(async () => {
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    locker = new Client({ connectionString: testDatabaseUrl() });
    await locker.connect();
    authority = await startAuthority();
    gw = await startTestGateway(authority.url, {
      env: { EXPORT_DEADLINE_MS: String(DEADLINE_MS), EXPORT_CONNECTIONS: '1' },
    });
    nc = await natsClient();
  });

  afterAll(async () => {
    await locker.query('ROLLBACK').catch(() => undefined);
    await locker.end();
    await nc?.drain();
    await gw?.close();
    await authority?.close();
    await db.end();
  });

  const exportBackends = async (): Promise<string[]> =>
    (
      await db.query<{ state: string }>(
        `SELECT state FROM pg_stat_activity
         WHERE application_name = 'gateway-export' AND datname = current_database()`,
      )
    ).rows.map((r) => r.state);

  const startExport = async () =>
    fetch(
      `${gw.url}${EXPORT}?${new URLSearchParams({ stationId: station, ...window }).toString()}`,
      { headers: await asAuthority() },
    );

  it('streams on its own connection, not the pool taps and the API use', async () => {
    const res = await startExport();
    expect(res.status).toBe(200);
    await res.text();
    // The export's connection stays in its own pool once the export is done.
    expect(await exportBackends()).toEqual(['idle']);
  });

  it('ends at its deadline while its query is held, frees its connection, and taps go on', async () => {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE check_ins_default IN ACCESS EXCLUSIVE MODE');
    try {
      const started = Date.now();
      const held = startExport();
      // Meanwhile the only export connection is taken: another export is refused at once...
      for (;;) {
        if ((await exportBackends()).includes('active')) break;
        if (Date.now() - started > DEADLINE_MS) throw new Error('the export never started');
        await new Promise((r) => setTimeout(r, 50));
      }
      const busy = await startExport();
      expect(busy.status).toBe(503);
      expect(((await busy.json()) as { code: string }).code).toBe('EXPORT_BUSY');
      // ...while taps and the rider API, on the gateway's other connections, answer.
      const r = await rider(gw.url, authority.url, healthy(Date.now()));
      const reply = await tap(nc, {
        stationId: PILOT,
        gateId: uniqueId('G'),
        credential: { kind: 'ride-code', code: await rideCode(gw.url, r.riderId) },
      });
      expect(reply.outcome).toBe('open');
      const res = await held;
      const ms = Date.now() - started;
      expect(res.status).toBe(503);
      expect(((await res.json()) as { code: string }).code).toBe('EXPORT_DEADLINE_EXCEEDED');
      expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 100);
      expect(ms).toBeLessThan(DEADLINE_MS + 2_000);
      expect(await exportBackends()).not.toContain('active');
    } finally {
      await locker.query('ROLLBACK');
    }
  }, 30_000);
});
