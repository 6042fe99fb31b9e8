import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { Client } from 'pg';
import type { NatsConnection } from 'nats';
import { SignJWT } from 'jose';
import { EVENTS, formatShanghai, type GateReply } from '@app/protocol';
import {
  asRider,
  healthy,
  person,
  proveIdentity,
  registerAs,
  rideCode,
  rider,
} from '../support/factories';
import {
  rawRequest,
  tap,
  uniqueId,
  type GatewayUnderTest,
  bearer,
  startStack,
  testDatabaseUrl,
  type TestStack,
} from '../support/stack';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { countAuthorityRequests } from '../support/authority-requests';
import { holdCommits } from '../support/held-commit';

const HOUR = 3_600_000;
const PILOT = 'S0312'; // line 3: one-code riding enabled by the seeded rules
const NOT_PILOT = 'S0105'; // lines 1, 2, 8: not enabled

describe('the one-code ride over raw NATS and HTTP', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let nc: NatsConnection;
  let db: Client;
  let stack: TestStack;

  beforeAll(async () => {
    ({ authority, gw, nc, db } = stack = await startStack());
  });

  afterAll(() => stack.close());

  const now = () => Date.now();
  const gate = () => uniqueId('G');
  const rideTap = async (riderId: string, extra: Partial<Parameters<typeof tap>[1]> = {}) =>
    tap(nc, {
      stationId: PILOT,
      gateId: gate(),
      credential: { kind: 'ride-code', code: await rideCode(gw.url, riderId) },
      ...extra,
    });

  const expectReply = (r: GateReply, outcome: GateReply['outcome'], reasons: string[]) => {
    expect({ outcome: r.outcome, reasons: [...r.reasons].sort() }).toEqual({
      outcome,
      reasons: [...reasons].sort(),
    });
    expect(r.v).toBe(1);
    expect(r.display.zh.length).toBeGreaterThan(0);
    expect(r.display.en.length).toBeGreaterThan(0);
    expect(r.decidedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$/);
  };

  it('opens for a healthy authorized rider and commits the check-in before replying', async () => {
    const r = await rider(gw.url, authority.url, healthy(now()));
    const gateId = gate();
    const code = await rideCode(gw.url, r.riderId);
    // The gate's COMMIT is held: no reply may come while the row is not yet durable.
    const held = await holdCommits(testDatabaseUrl(), gateId);
    let replied = false;
    let reply: GateReply;
    try {
      const pending = tap(nc, {
        stationId: PILOT,
        gateId,
        credential: { kind: 'ride-code', code },
      }).then((x) => {
        replied = true;
        return x;
      });
      await held.untilWaiting();
      // The transaction is at COMMIT now; a reply sent before it would be here already.
      await new Promise((r) => setTimeout(r, 100));
      expect(replied).toBe(false);
      await held.release();
      reply = await pending;
    } finally {
      await held.remove();
    }
    expectReply(reply, 'open', []);
    expect(reply.policyVersion).toBe('rv-20220601-pilot');
    const row = await db.query(
      'SELECT rider_id, station_id, policy_version, policy_hash FROM check_ins WHERE id = $1',
      [reply.checkInId],
    );
    expect(row.rows).toEqual([
      {
        rider_id: r.riderId,
        station_id: PILOT,
        policy_version: 'rv-20220601-pilot',
        policy_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    ]);
  });

  it.each([
    [
      'a yellow code',
      { colour: 'yellow' as const, negativeTestsAt: [Date.now() - 5 * HOUR] },
      36.5,
      ['HEALTH_CODE_NOT_GREEN'],
    ],
    [
      'a red code and no test',
      { colour: 'red' as const },
      36.5,
      ['HEALTH_CODE_NOT_GREEN', 'TEST_MISSING'],
    ],
    ['no test on record', { colour: 'green' as const }, 36.5, ['TEST_MISSING']],
    [
      'a test sampled 72 h + 1 min ago',
      { negativeTestsAt: [Date.now() - 72 * HOUR - 60_000] },
      36.5,
      ['TEST_EXPIRED'],
    ],
    [
      'a test sampled 1 min ahead of the gateway clock (not valid yet)',
      { negativeTestsAt: [Date.now() + 60_000] },
      36.5,
      ['TEST_MISSING'],
    ],
    ['a fever at exactly the threshold', healthy(Date.now()), 37.3, ['TEMPERATURE_HIGH']],
    [
      'no temperature reading where one is required',
      healthy(Date.now()),
      null,
      ['TEMPERATURE_MISSING'],
    ],
    [
      'a fever and an expired test',
      { negativeTestsAt: [Date.now() - 100 * HOUR] },
      38.2,
      ['TEMPERATURE_HIGH', 'TEST_EXPIRED'],
    ],
  ])('sends to staff for %s', async (_name, spec, temperatureC, reasons) => {
    const r = await rider(gw.url, authority.url, spec);
    const reply = await rideTap(r.riderId, { temperatureC });
    expectReply(reply, 'see-staff', reasons);
    expect(reply.checkInId).toBeNull();
  });

  it('answers NOT_AUTHORIZED without linkage, and never asks the authority', async () => {
    const r = await rider(gw.url, authority.url, { ...healthy(now()), authorized: false });
    const linked = await rider(gw.url, authority.url, healthy(now()));
    const asked = countAuthorityRequests(authority);
    try {
      // From minting the code to the gate's answer, at a pilot station where lookups happen.
      expectReply(await rideTap(r.riderId), 'see-staff', ['NOT_AUTHORIZED']);
      expect(asked.take()).toEqual([]);
      // The same steps for a linked rider do reach the authority: the count sees lookups.
      expectReply(await rideTap(linked.riderId), 'open', []);
      expect(asked.take()).toEqual(
        expect.arrayContaining([expect.stringMatching(/^(GET|POST) \/v1\/consents\//)]),
      );
    } finally {
      asked.stop();
    }
  });

  it('answers ONE_CODE_NOT_ENABLED where the pilot does not run', async () => {
    const r = await rider(gw.url, authority.url, healthy(now()));
    const reply = await tap(nc, {
      stationId: NOT_PILOT,
      gateId: gate(),
      credential: { kind: 'ride-code', code: await rideCode(gw.url, r.riderId) },
    });
    expectReply(reply, 'see-staff', ['ONE_CODE_NOT_ENABLED']);
    expect(reply.policyVersion).toBe('rv-20220601-network');
  });

  it.each([
    ['card', { kind: 'card' as const, cardNo: 'C123456' }, 'VENUE_CHECK_REQUIRED'],
    [
      'single-journey',
      { kind: 'single-journey' as const, ticketNo: 'SJ1' },
      'VENUE_CHECK_REQUIRED',
    ],
    [
      'companion-ticket',
      { kind: 'companion-ticket' as const, ticketNo: 'CT1' },
      'VENUE_CHECK_REQUIRED',
    ],
    ['day-ticket', { kind: 'day-ticket' as const, ticketNo: 'DT1' }, 'VENUE_CHECK_REQUIRED'],
    [
      'offline-code',
      { kind: 'offline-code' as const, code: 'OFFLINE-XYZ' },
      'OFFLINE_CODE_NEEDS_STAFF',
    ],
  ])('answers a %s from the reason table', async (_kind, credential, reason) => {
    expectReply(await tap(nc, { stationId: PILOT, gateId: gate(), credential }), 'see-staff', [
      reason,
    ]);
  });

  it('repeats the same reply for a retried tapId and records one check-in', async () => {
    const r = await rider(gw.url, authority.url, healthy(now()));
    const body = {
      stationId: PILOT,
      gateId: gate(),
      tapId: uniqueId('retry-'),
      credential: { kind: 'ride-code' as const, code: await rideCode(gw.url, r.riderId) },
    };
    const [a, b] = await Promise.all([tap(nc, body), tap(nc, body)]);
    const c = await tap(nc, body);
    expectReply(a, 'open', []);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    const rows = await db.query('SELECT count(*)::int AS n FROM check_ins WHERE tap_id = $1', [
      body.tapId,
    ]);
    expect(rows.rows[0].n).toBe(1);
  });

  it('denies a replayed code at another gate, even sent at the same instant', async () => {
    const r1 = await rider(gw.url, authority.url, healthy(now()));
    const code = await rideCode(gw.url, r1.riderId);
    const first = await tap(nc, {
      stationId: PILOT,
      gateId: gate(),
      credential: { kind: 'ride-code', code },
    });
    expectReply(first, 'open', []);
    expectReply(
      await tap(nc, { stationId: PILOT, gateId: gate(), credential: { kind: 'ride-code', code } }),
      'deny',
      ['CODE_REPLAYED'],
    );

    const r2 = await rider(gw.url, authority.url, healthy(now()));
    const code2 = await rideCode(gw.url, r2.riderId);
    const race = await Promise.all(
      [gate(), gate(), gate()].map((g) =>
        tap(nc, { stationId: PILOT, gateId: g, credential: { kind: 'ride-code', code: code2 } }),
      ),
    );
    expect(race.filter((x) => x.outcome === 'open')).toHaveLength(1);
    expect(race.filter((x) => x.reasons.includes('CODE_REPLAYED'))).toHaveLength(2);
  });

  it('keeps anti-passback: no second entry before an exit, and an exit reopens entry', async () => {
    const r = await rider(gw.url, authority.url, healthy(now()));
    expectReply(await rideTap(r.riderId), 'open', []);
    expectReply(await rideTap(r.riderId), 'deny', ['ALREADY_INSIDE']);
    const exit = await rideTap(r.riderId, { mode: 'exit' });
    expectReply(exit, 'open', []);
    expect(exit.checkInId).toBeNull();
    expectReply(await rideTap(r.riderId), 'open', []);
  });

  it('lets a rider out on an expired but genuine code, never in', async () => {
    const r = await rider(gw.url, authority.url, healthy(now()));
    const keys = await import('../support/stack').then((m) => m.testKeys());
    const iat = Math.floor(now() / 1000) - 120;
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', typ: 'ride-code+jwt', kid: keys.activeKid })
      .setIssuer(gw.config.rideCodeIssuer)
      .setAudience('metro-gates')
      .setSubject(r.riderId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 60)
      .setJti(uniqueId('jti'))
      .sign(keys.signingKey);
    expectReply(
      await tap(nc, {
        stationId: PILOT,
        gateId: gate(),
        credential: { kind: 'ride-code', code: expired },
      }),
      'deny',
      ['CODE_EXPIRED'],
    );
    expectReply(
      await tap(nc, {
        stationId: PILOT,
        gateId: gate(),
        mode: 'exit',
        credential: { kind: 'ride-code', code: expired },
      }),
      'open',
      [],
    );
  });

  it('denies forged codes with CODE_INVALID', async () => {
    const r = await rider(gw.url, authority.url, healthy(now()));
    const good = await rideCode(gw.url, r.riderId);
    const [h, p, s] = good.split('.');
    const otherRider = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(p, 'base64url').toString()),
        sub: 'someone-else',
      }),
    ).toString('base64url');
    for (const code of ['not-a-code', `${h}.${otherRider}.${s}`, good.slice(0, -4)]) {
      expectReply(
        await tap(nc, {
          stationId: PILOT,
          gateId: gate(),
          credential: { kind: 'ride-code', code },
        }),
        'deny',
        ['CODE_INVALID'],
      );
    }
  });

  it('answers every malformed message with MALFORMED_REQUEST and keeps running', async () => {
    const g = gate();
    const subject = `metro.gate.${PILOT}.${g}.tap`;
    const valid = {
      v: 1,
      tapId: uniqueId('mal-'),
      stationId: PILOT,
      gateId: g,
      mode: 'entry',
      temperatureC: 36.5,
      credential: { kind: 'card', cardNo: 'C1' },
    };
    const cases: unknown[] = [
      'not json',
      new Uint8Array([0xff, 0xfe, 0x7b]),
      '[]',
      { ...valid, v: 2 },
      { ...valid, mode: 'sideways' },
      { ...valid, gateId: 'OTHER' },
      { ...valid, stationId: 'S9999' },
      { ...valid, temperatureC: '36.5' },
      { ...valid, credential: { kind: 'teleport' } },
      { ...valid, tapId: 'short' },
    ];
    for (const body of cases) {
      const reply = await rawRequest(nc, subject, body);
      expect(reply).toMatchObject({ v: 1, outcome: 'deny', reasons: ['MALFORMED_REQUEST'] });
      expect(reply.display.en).toBeTruthy();
    }
    // The tapId is echoed when it could be read.
    expect((await rawRequest(nc, subject, { ...valid, mode: 'x' })).tapId).toBe(valid.tapId);
    expect(await rawRequest(nc, subject, valid)).toMatchObject({ outcome: 'see-staff' });
  });

  it('takes revocation at once: the next tap is NOT_AUTHORIZED and the linkage row is gone', async () => {
    const r = await rider(gw.url, authority.url, healthy(now()));
    expectReply(await rideTap(r.riderId), 'open', []);
    await rideTap(r.riderId, { mode: 'exit' });
    await request(gw.url)
      .delete(`/riders/${r.riderId}/authorization`)
      .set(await asRider(r.riderId))
      .expect(204);
    expectReply(await rideTap(r.riderId), 'see-staff', ['NOT_AUTHORIZED']);
    const links = await db.query(
      'SELECT count(*)::int AS n FROM health_links WHERE rider_id = $1',
      [r.riderId],
    );
    expect(links.rows[0].n).toBe(0);
  });

  it('sees a status change at the authority on the very next tap (no stale cache)', async () => {
    const r = await rider(gw.url, authority.url, healthy(now()));
    expectReply(await rideTap(r.riderId), 'open', []);
    await rideTap(r.riderId, { mode: 'exit' });
    // Wait for the change notice itself, not a guessed time.
    const notices = nc.subscribe(EVENTS.authorityStatusChanged, { max: 1 });
    await nc.flush();
    await request(authority.url)
      .put(`/v1/persons/${r.idNumber}/colour`)
      .set('x-api-key', 'test-authority-key')
      .send({ colour: 'red' })
      .expect(204);
    for await (const _notice of notices) break;
    // The server delivered it to the gateway before the PONG of this later PING.
    await gw.nats.flush();
    expectReply(await rideTap(r.riderId), 'see-staff', ['HEALTH_CODE_NOT_GREEN']);
  });

  describe('HTTP', () => {
    it('registers the person who signed in, storing only a keyed hash of the ID number', async () => {
      const idNumber = await person(authority.url);
      const riderId = randomUUID();
      await registerAs(gw.url, riderId, idNumber);
      const row = await db.query('SELECT id_hash FROM riders WHERE id = $1', [riderId]);
      expect(row.rows[0].id_hash.toString('hex')).not.toContain(
        Buffer.from(idNumber).toString('hex'),
      );
      const dump = await db.query(
        `SELECT count(*)::int AS n FROM riders WHERE encode(id_hash, 'escape') LIKE $1`,
        [`%${idNumber}%`],
      );
      expect(dump.rows[0].n).toBe(0);
    });

    it('says which field is wrong', async () => {
      const auth = await asRider(randomUUID());
      const res = await request(gw.url)
        .post('/riders')
        .set(auth)
        .send({ code: 'short', extra: 1 })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.message).toMatch(/code/);
      expect(res.body.message).toMatch(/state/);
      expect(res.body.message).toMatch(/extra/);
      await request(gw.url)
        .post('/riders')
        .set(auth)
        .set('content-type', 'application/json')
        .send('{"code":')
        .expect(400);
      await request(gw.url)
        .get('/riders/not-a-uuid/status')
        .set(await asRider('not-a-uuid'))
        .expect(400);
    });

    it('refuses authorization signed in by a person other than the registered one', async () => {
      const r = await rider(gw.url, authority.url, { authorized: false });
      const other = await person(authority.url);
      const proof = await proveIdentity(gw.url, r.riderId, other, 'authorize');
      const res = await request(gw.url)
        .post(`/riders/${r.riderId}/authorization`)
        .set(await asRider(r.riderId))
        .send(proof)
        .expect(403);
      expect(res.body.code).toBe('IDENTITY_MISMATCH');
    });

    it('shows the one-screen status, live, with hours left in the window', async () => {
      const r = await rider(gw.url, authority.url, { negativeTestsAt: [now() - 10 * HOUR] });
      const auth = await asRider(r.riderId);
      const res = await request(gw.url).get(`/riders/${r.riderId}/status`).set(auth).expect(200);
      expect(res.body).toMatchObject({
        colour: 'green',
        windowHours: 72,
        latestTest: { result: 'negative' },
      });
      expect(res.body.hoursLeft).toBeGreaterThan(61.5);
      expect(res.body.hoursLeft).toBeLessThanOrEqual(62);
      await request(gw.url)
        .delete(`/riders/${r.riderId}/authorization`)
        .set(await asRider(r.riderId))
        .expect(204);
      const none = await request(gw.url).get(`/riders/${r.riderId}/status`).set(auth).expect(200);
      expect(none.body).toMatchObject({ linkage: 'not-authorized', colour: null });
    });

    it('needs a valid bearer token of the right role, for the rider themself', async () => {
      const r = await rider(gw.url, authority.url, { authorized: false });
      const path = `/riders/${r.riderId}/ride-code`;
      const none = await request(gw.url).post(path).expect(401);
      expect(none.body).toEqual({ code: 'UNAUTHENTICATED', message: 'a bearer token is required' });
      await request(gw.url).post(path).set('authorization', 'Bearer not.a.token').expect(401);
      await request(gw.url)
        .post(path)
        .set(await bearer({ sub: 'op-1', role: 'operator' }))
        .expect(403);
      // Another rider's token: 403 whether or not the target exists, so existence never leaks.
      const other = await asRider(randomUUID());
      const a = await request(gw.url).post(path).set(other).expect(403);
      const b = await request(gw.url)
        .post(`/riders/${randomUUID()}/ride-code`)
        .set(other)
        .expect(403);
      expect(a.body).toEqual(b.body);
    });

    it('publishes the JWKS, OpenAPI, readiness, liveness and metrics', async () => {
      const jwks = await request(gw.url).get('/.well-known/jwks.json').expect(200);
      expect(jwks.body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
      expect(jwks.body.keys[0].d).toBeUndefined();
      const doc = await request(gw.url).get('/docs-json').expect(200);
      expect(Object.keys(doc.body.paths)).toEqual(
        expect.arrayContaining(['/riders', '/riders/{riderId}/ride-code']),
      );
      const health = await request(gw.url).get('/health').expect(200);
      expect(health.body).toEqual({
        status: 'ok',
        checks: { postgres: 'up', nats: 'up' },
        consentDirectory: { loading: false, riders: expect.any(Number) },
      });
      await request(gw.url).get('/health/live').expect(200);
      const metrics = await request(gw.adminUrl).get('/metrics').expect(200);
      expect(metrics.text).toMatch(/gateway_decision_seconds_bucket\{le="[^"]+",outcome="open"\}/);
    });

    it('logs each tap with its tapId and no health values', async () => {
      // A sampling time with its own milliseconds, so any rendering of it is recognisable.
      const sampledAt = now() - 7 * HOUR - 321;
      const r = await rider(gw.url, authority.url, { negativeTestsAt: [sampledAt] });
      const tapId = uniqueId('logged-');
      // Opens: the gateway read the test result (without it the tap would be TEST_MISSING).
      expectReply(await rideTap(r.riderId, { tapId, temperatureC: 36.4321 }), 'open', []);
      const line = gw.logs.lines.find((l) => l.includes(tapId));
      expect(line).toBeDefined();
      expect(JSON.parse(line as string)).toMatchObject({ tapId, outcome: 'open' });
      // A yellow code: the gateway read the colour (the reason says so), and logs only the reason.
      const y = await rider(gw.url, authority.url, {
        colour: 'yellow',
        negativeTestsAt: [now() - 5 * HOUR],
      });
      const yellowTap = uniqueId('logged-');
      expectReply(await rideTap(y.riderId, { tapId: yellowTap }), 'see-staff', [
        'HEALTH_CODE_NOT_GREEN',
      ]);
      expect(gw.logs.lines.some((l) => l.includes(yellowTap))).toBe(true);

      const text = gw.logs.text;
      expect(text).not.toContain('36.4321');
      expect(text).not.toContain(r.idNumber);
      expect(text).not.toContain(y.idNumber);
      for (const t of [formatShanghai(sampledAt), new Date(sampledAt).toISOString()])
        expect(text).not.toContain(t.slice(0, 19)); // to the second, whatever the offset
      expect(text).not.toContain(String(sampledAt));
      expect(text).not.toMatch(/yellow/i);
      expect(text).not.toMatch(/"(colour|color|sampledAt|latestNegativeSampledAt|latestTest)"/);
    });
  });
});
