import { connect, type NatsConnection } from 'nats';
import { Client } from 'pg';
import request from 'supertest';
import { formatShanghai, type GateReply } from '@app/protocol';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { Reconciler } from '../../apps/gateway/src/broadcasts/reconciler';
import { NetworkDirectory } from '../../apps/gateway/src/network/network.directory';
import { healthy, rideCode, rider } from '../support/factories';
import { PrivateNats } from '../support/nats-server';
import {
  AUTHORITY_KEY,
  bearer,
  startAuthority,
  startTestGateway,
  tap,
  testDatabaseUrl,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';

const PILOT = 'S0312';
/** B's reconciliation interval: the bound this file holds it to, plus one poll's time. */
const INTERVAL_MS = 500;
const BOUND_MS = INTERVAL_MS + 700;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls `probe` every 50 ms until it returns true; how long that took, or Infinity. */
async function msUntil(probe: () => Promise<boolean>, giveUpMs = 10_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < giveUpMs) {
    if (await probe()) return Date.now() - started;
    await sleep(50);
  }
  return Infinity;
}

/**
 * Instance B shares the database with A but sits on a NATS server of its own: it hears none of
 * A's broadcasts, nor the authority's notices, like an instance whose connection was cut or
 * whose messages were dropped. Whatever A changes must still reach B, through PostgreSQL,
 * within RECONCILE_INTERVAL_MS (plus one poll).
 */
describe('an instance that misses every broadcast still converges within the stated bound', () => {
  let authority: RunningAuthority;
  let a: GatewayUnderTest;
  let b: GatewayUnderTest;
  let isolated: PrivateNats;
  /** A gate on B's NATS: its taps reach B only. */
  let gateOnB: NatsConnection;
  let db: Client;
  const operator = () => bearer({ sub: uniqueId('op'), role: 'operator' });

  beforeAll(async () => {
    authority = await startAuthority();
    isolated = await PrivateNats.start();
    a = await startTestGateway(authority.url);
    b = await startTestGateway(authority.url, {
      env: {
        NATS_URL: isolated.url,
        RECONCILE_INTERVAL_MS: String(INTERVAL_MS),
        // Without reconciliation a status fetched once would serve B's taps for two minutes.
        HEALTH_CACHE_TTL_MS: '120000',
      },
    });
    gateOnB = await connect({ servers: isolated.url });
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
  });

  afterAll(async () => {
    await gateOnB?.drain();
    await Promise.all([a?.close(), b?.close()]);
    await authority?.close();
    await isolated?.dispose();
    await db?.end();
  });

  const timelineIds = async (gw: GatewayUnderTest, station: string): Promise<string[]> => {
    const res = await request(gw.url)
      .get(`/rules/stations/${station}/timeline`)
      .set(await operator());
    return (res.body.entries as { version: { id: string } }[]).map((e) => e.version.id);
  };

  it('a version scheduled and one cancelled on A are held by B within the bound', async () => {
    const station = uniqueId('S');
    await db.query(
      `INSERT INTO stations (id, name_zh, name_en, lines) VALUES ($1, '测试站', 'Test station', $2)`,
      [station, [uniqueId('L')]],
    );
    await a.app.get(Reconciler).poll(); // A learns the new station (B must find it alone)
    const schedule = async (effectiveFrom: number, testWindowHours: number, reason: string) =>
      (
        (
          await request(a.url)
            .post('/rules/versions')
            .set(await operator())
            .send({
              effectiveFrom: formatShanghai(effectiveFrom),
              scope: { kind: 'stations', stations: [station] },
              testWindowHours,
              oneCodeEnabled: false,
              reason,
            })
            .expect(201)
        ).body as { id: string }
      ).id;

    const effectiveFrom = Date.now() + 5_000;
    const soon = await schedule(effectiveFrom, 24, 'missed broadcast: schedule');
    const scheduledAt = Date.now();
    const seen = await msUntil(async () => (await timelineIds(b, station)).includes(soon));
    expect({ seen, withinBound: seen < BOUND_MS }).toEqual({ seen, withinBound: true });
    expect(Date.now() - scheduledAt).toBeLessThan(effectiveFrom - scheduledAt);

    // B decides by it from its instant on, with no broadcast ever heard.
    while (Date.now() < effectiveFrom + 50) await sleep(25);
    const after = await tap(gateOnB, {
      stationId: station,
      gateId: 'G1',
      credential: { kind: 'single-journey', ticketNo: uniqueId('T') },
    });
    expect(after.policyVersion).toBe(soon);

    const later = await schedule(Date.now() + 3_600_000, 12, 'missed broadcast: cancel');
    await msUntil(async () => (await timelineIds(b, station)).includes(later));
    await request(a.url)
      .delete(`/rules/versions/${later}`)
      .set(await operator())
      .expect(200);
    const gone = await msUntil(async () => !(await timelineIds(b, station)).includes(later));
    expect({ gone, withinBound: gone < BOUND_MS }).toEqual({ gone, withinBound: true });
  }, 30_000);

  it('a checkpoint made a digital sentinel elsewhere is one on B within the bound', async () => {
    const deviceId = uniqueId('D');
    const directory = b.app.get(NetworkDirectory);
    expect(directory.isSentinel(PILOT, deviceId)).toBe(false);
    // Whoever wrote it (another instance, an operator's script) broadcast nothing to B.
    await db.query(
      `INSERT INTO checkpoint_devices (station_id, device_id, sentinel, updated_by, updated_at)
       VALUES ($1, $2, true, 'test', now())`,
      [PILOT, deviceId],
    );
    const ms = await msUntil(async () => directory.isSentinel(PILOT, deviceId));
    expect({ ms, withinBound: ms < BOUND_MS }).toEqual({ ms, withinBound: true });
    await db.query('DELETE FROM checkpoint_devices WHERE station_id = $1 AND device_id = $2', [
      PILOT,
      deviceId,
    ]);
  });

  it('refuses to schedule a version closer than every instance is sure to hold it', async () => {
    // A station of its own: were the refusal missing, nothing else would be governed by it.
    const station = uniqueId('S');
    await db.query(
      `INSERT INTO stations (id, name_zh, name_en, lines) VALUES ($1, '测试站', 'Test station', $2)`,
      [station, [uniqueId('L')]],
    );
    await a.app.get(Reconciler).poll();
    const res = await request(a.url)
      .post('/rules/versions')
      .set(await operator())
      .send({
        effectiveFrom: formatShanghai(Date.now() + 1_000),
        scope: { kind: 'stations', stations: [station] },
        testWindowHours: 24,
        oneCodeEnabled: false,
        reason: 'too soon',
      })
      .expect(400);
    expect(res.body).toMatchObject({
      code: 'RULE_REFUSED',
      message: expect.stringMatching(/less than 2 s from now: every instance may not hold it/),
    });
  });

  /** Enters and leaves through B once, so B holds the rider's consent and a fresh status. */
  async function warmOnB(riderId: string): Promise<void> {
    for (const mode of ['entry', 'exit'] as const) {
      const r = await tap(gateOnB, {
        stationId: PILOT,
        gateId: uniqueId('G'),
        mode,
        credential: { kind: 'ride-code', code: await rideCode(a.url, riderId) },
      });
      expect({ mode, outcome: r.outcome }).toEqual({ mode, outcome: 'open' });
    }
  }

  const entryOnB = async (riderId: string): Promise<GateReply> =>
    tap(gateOnB, {
      stationId: PILOT,
      gateId: uniqueId('G'),
      credential: { kind: 'ride-code', code: await rideCode(a.url, riderId) },
    });

  /** How long until B sends the rider to staff as not authorized. */
  const untilRefusedOnB = (riderId: string) =>
    msUntil(async () => {
      const r = await entryOnB(riderId);
      if (r.outcome === 'open') {
        // Opened on stale facts: leave again so the next probe is an entry like this one.
        await tap(gateOnB, {
          stationId: PILOT,
          gateId: uniqueId('G'),
          mode: 'exit',
          credential: { kind: 'ride-code', code: await rideCode(a.url, riderId) },
        });
        return false;
      }
      return r.reasons.includes('NOT_AUTHORIZED');
    });

  it('a revocation on A stops B opening for the rider within the bound', async () => {
    const r = await rider(a.url, authority.url, healthy(Date.now()));
    await warmOnB(r.riderId);
    await request(a.url)
      .delete(`/riders/${r.riderId}/authorization`)
      .set(await bearer({ sub: r.riderId, role: 'rider' }))
      .expect(204);
    const refused = await untilRefusedOnB(r.riderId);
    expect({ refused, withinBound: refused < BOUND_MS }).toEqual({ refused, withinBound: true });
  }, 30_000);

  it('a revocation whose writer never broadcast (nor told the authority) reaches B too', async () => {
    const r = await rider(a.url, authority.url, healthy(Date.now()));
    await warmOnB(r.riderId);
    // What a revoking instance commits before it would publish; it died there.
    await db.query('DELETE FROM health_links WHERE rider_id = $1', [r.riderId]);
    const refused = await untilRefusedOnB(r.riderId);
    expect({ refused, withinBound: refused < BOUND_MS }).toEqual({ refused, withinBound: true });
  }, 30_000);
});

describe('a status change whose notice is missed reaches taps within HEALTH_CACHE_TTL_MS', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let isolated: PrivateNats;
  let gate: NatsConnection;
  const TTL_MS = 1_000;

  beforeAll(async () => {
    authority = await startAuthority();
    isolated = await PrivateNats.start();
    // On a NATS of its own: the authority's status-changed notices never reach it.
    gw = await startTestGateway(authority.url, {
      env: { NATS_URL: isolated.url, HEALTH_CACHE_TTL_MS: String(TTL_MS) },
    });
    gate = await connect({ servers: isolated.url });
  });

  afterAll(async () => {
    await gate?.drain();
    await gw?.close();
    await authority?.close();
    await isolated?.dispose();
  });

  it('sends a rider whose code turned red to staff once the cached status is older than the TTL', async () => {
    const r = await rider(gw.url, authority.url, healthy(Date.now()));
    const at = async (mode: 'entry' | 'exit') =>
      tap(gate, {
        stationId: PILOT,
        gateId: uniqueId('G'),
        mode,
        credential: { kind: 'ride-code', code: await rideCode(gw.url, r.riderId) },
      });
    expect((await at('entry')).outcome).toBe('open');
    expect((await at('exit')).outcome).toBe('open');
    await request(authority.url)
      .put(`/v1/persons/${r.idNumber}/colour`)
      .set('x-api-key', AUTHORITY_KEY)
      .send({ colour: 'red' })
      .expect(204);
    const changedAt = Date.now();
    const ms = await msUntil(async () => {
      const reply = await at('entry');
      if (reply.outcome === 'open') await at('exit');
      return reply.reasons.includes('HEALTH_CODE_NOT_GREEN');
    });
    expect(ms).toBeLessThan(TTL_MS + 700);
    expect(Date.now() - changedAt).toBeLessThan(TTL_MS + 1_500);
  }, 30_000);
});
