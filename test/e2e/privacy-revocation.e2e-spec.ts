import type { NatsConnection } from 'nats';
import { Client } from 'pg';
import request from 'supertest';
import { EVENTS, type GateReply } from '@app/protocol';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { asRider, healthy, rideCode, rider } from '../support/factories';
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

/** The tapIds this instance decided, from its own log. */
const decidedBy = (gw: GatewayUnderTest): Set<string> =>
  new Set(
    gw.logs.lines
      .map((l) => JSON.parse(l) as { msg?: string; tapId?: string })
      .filter((l) => l.msg === 'tap decided' && l.tapId !== undefined)
      .map((l) => l.tapId as string),
  );

/**
 * Two gateway instances in the same queue group: which one answers a tap is NATS's choice,
 * so taps repeat until each instance has answered at least one.
 */
describe('revocation is effective within 1 s on every gateway instance', () => {
  let authority: RunningAuthority;
  let a: GatewayUnderTest;
  let b: GatewayUnderTest;
  let nc: NatsConnection;
  let db: Client;

  beforeAll(async () => {
    authority = await startAuthority();
    // A long health cache: only the broadcast and the deleted link can stop a stale "green".
    const env = { HEALTH_CACHE_TTL_MS: '300000' };
    [a, b] = await Promise.all([
      startTestGateway(authority.url, { env }),
      startTestGateway(authority.url, { env }),
    ]);
    nc = await natsClient();
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
    await nc?.drain();
    await Promise.all([a?.close(), b?.close()]);
    await authority?.close();
  });

  /** Taps `mode` until both instances have decided one of them; returns every reply. */
  async function tapOnBoth(riderId: string, gateId: string, modes: ('entry' | 'exit')[]) {
    const replies: { mode: string; reply: GateReply; tapId: string }[] = [];
    for (let round = 0; round < 40; round++) {
      for (const mode of modes) {
        const tapId = uniqueId('tap');
        const reply = await tap(nc, {
          stationId: PILOT,
          gateId,
          tapId,
          mode,
          credential: { kind: 'ride-code', code: await rideCode(a.url, riderId) },
        });
        replies.push({ mode, reply, tapId });
      }
      const entries = replies.filter((r) => r.mode === 'entry').map((r) => r.tapId);
      const [byA, byB] = [decidedBy(a), decidedBy(b)];
      if (entries.some((t) => byA.has(t)) && entries.some((t) => byB.has(t))) return replies;
    }
    throw new Error('NATS gave every entry tap to the same instance 40 times running');
  }

  it('a tap 1 s after revoking through instance A gets NOT_AUTHORIZED from A and from B', async () => {
    const r = await rider(a.url, authority.url, healthy(Date.now()));
    const gateId = uniqueId('G');
    // Both instances have decided an entry for this rider, with health facts now cached.
    const before = await tapOnBoth(r.riderId, gateId, ['entry', 'exit']);
    for (const { mode, reply } of before)
      expect({ mode, outcome: reply.outcome }).toEqual({ mode, outcome: 'open' });

    const broadcasts: unknown[] = [];
    const sub = nc.subscribe(EVENTS.riderRevoked, {
      callback: (_e, m) => broadcasts.push(JSON.parse(new TextDecoder().decode(m.data))),
    });
    await nc.flush();
    await request(a.url)
      .delete(`/riders/${r.riderId}/authorization`)
      .set(await asRider(r.riderId))
      .expect(204);

    // Revocation deletes the linkage.
    const links = await db.query('SELECT 1 FROM health_links WHERE rider_id = $1', [r.riderId]);
    expect(links.rowCount).toBe(0);

    await new Promise((done) => setTimeout(done, 1_000));
    sub.unsubscribe();
    // The broadcast reached every instance's subject, carrying the consent id and nothing else.
    expect(broadcasts).toEqual([{ consentId: expect.stringMatching(/^c_/) }]);

    const after = await tapOnBoth(r.riderId, gateId, ['entry']);
    for (const { reply } of after)
      expect({ outcome: reply.outcome, reasons: reply.reasons }).toEqual({
        outcome: 'see-staff',
        reasons: ['NOT_AUTHORIZED'],
      });
    // And the status screen, asked of B, knows nothing more.
    const screen = await request(b.url)
      .get(`/riders/${r.riderId}/status`)
      .set(await asRider(r.riderId))
      .expect(200);
    expect(screen.body).toMatchObject({
      linkage: 'not-authorized',
      colour: null,
      latestTest: null,
      latestNegativeSampledAt: null,
    });
  });

  it('keeps the check-ins made before the revocation (they go only when retention ends)', async () => {
    const r = await rider(a.url, authority.url, healthy(Date.now()));
    const opened = await tap(nc, {
      stationId: PILOT,
      gateId: uniqueId('G'),
      credential: { kind: 'ride-code', code: await rideCode(a.url, r.riderId) },
    });
    expect(opened.outcome).toBe('open');
    await request(b.url)
      .delete(`/riders/${r.riderId}/authorization`)
      .set(await asRider(r.riderId))
      .expect(204);
    const rows = await db.query('SELECT id FROM check_ins WHERE rider_id = $1', [r.riderId]);
    expect(rows.rows).toEqual([{ id: opened.checkInId }]);
  });
});
