import { randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  asRider,
  authorizeAs,
  healthy,
  realNameCard,
  registerAs,
  rideCode,
  rider,
} from '../support/factories';
import { AUTHORITY_KEY, bearer, startStack, tap, uniqueId, type TestStack } from '../support/stack';

const PILOT = 'S0312';

/** The rider's own views: the status screen before any data, their check-ins, erasure. */
describe("the rider's views of their own data", () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startStack();
  });

  afterAll(() => stack.close());

  const api = () => request(stack.gw.url);
  const as = (riderId: string) => asRider(riderId);
  const rideIn = async (riderId: string) =>
    tap(stack.nc, {
      stationId: PILOT,
      gateId: uniqueId('G'),
      credential: { kind: 'ride-code', code: await rideCode(stack.gw.url, riderId) },
    });
  const rideOut = async (riderId: string) =>
    tap(stack.nc, {
      stationId: PILOT,
      gateId: uniqueId('G'),
      mode: 'exit',
      credential: { kind: 'ride-code', code: await rideCode(stack.gw.url, riderId) },
    });

  it('answers the status screen with "no data yet: authorize to link" before and after authorization', async () => {
    const r = await rider(stack.gw.url, stack.authority.url, {
      ...healthy(Date.now()),
      authorized: false,
    });
    const before = await api()
      .get(`/riders/${r.riderId}/status`)
      .set(await as(r.riderId));
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({
      linkage: 'not-authorized',
      notice: { en: expect.stringMatching(/^No data yet: authorize to link/) },
      colour: null,
      latestTest: null,
      hoursLeft: null,
      windowHours: expect.any(Number),
    });
    expect(before.body.notice.zh).toMatch(/授权/);

    await authorizeAs(stack.gw.url, r.riderId, r.idNumber);
    const linked = await api()
      .get(`/riders/${r.riderId}/status`)
      .set(await as(r.riderId));
    expect(linked.body).toMatchObject({ linkage: 'linked', notice: null, colour: 'green' });

    await api()
      .delete(`/riders/${r.riderId}/authorization`)
      .set(await as(r.riderId))
      .expect(204);
    const after = await api()
      .get(`/riders/${r.riderId}/status`)
      .set(await as(r.riderId));
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ linkage: 'not-authorized', colour: null });

    const stranger = randomUUID();
    await api()
      .get(`/riders/${stranger}/status`)
      .set(await as(stranger))
      .expect(404);
  });

  it("lists the rider's own recent check-ins, newest first, and no one else's", async () => {
    const r = await rider(stack.gw.url, stack.authority.url, healthy(Date.now()));
    const other = await rider(stack.gw.url, stack.authority.url, healthy(Date.now()));
    const first = await rideIn(r.riderId);
    expect(first.outcome).toBe('open');
    expect((await rideOut(r.riderId)).outcome).toBe('open');
    const second = await rideIn(r.riderId);
    expect(second.outcome).toBe('open');
    expect((await rideIn(other.riderId)).outcome).toBe('open');

    const res = await api()
      .get(`/riders/${r.riderId}/check-ins`)
      .set(await as(r.riderId))
      .expect(200);
    const ids = (res.body.checkIns as { checkInId: string }[]).map((c) => c.checkInId);
    expect(ids).toEqual([second.checkInId, first.checkInId]);
    expect(res.body.checkIns[0]).toMatchObject({
      stationId: PILOT,
      via: 'ride-code',
      checkedInAt: expect.stringMatching(/\+08:00$/),
    });
    const one = await api()
      .get(`/riders/${r.riderId}/check-ins?limit=1`)
      .set(await as(r.riderId))
      .expect(200);
    expect(one.body.checkIns).toHaveLength(1);
    await api()
      .get(`/riders/${r.riderId}/check-ins?limit=0`)
      .set(await as(r.riderId))
      .expect(400);
    await api()
      .get(`/riders/${r.riderId}/check-ins`)
      .set(await as(other.riderId))
      .expect(403);
  });

  it('erases the registration: consent revoked, card links removed, identity hash erased; check-ins stay and are traced', async () => {
    const { gw, authority, db } = stack;
    const r = await rider(gw.url, authority.url, healthy(Date.now()));
    const cardNo = uniqueId('C');
    await realNameCard(authority.url, r.idNumber, cardNo);
    await api()
      .post(`/riders/${r.riderId}/cards`)
      .set(await as(r.riderId))
      .send({ cardNo })
      .expect(201);
    const ride = await rideIn(r.riderId);
    expect(ride.outcome).toBe('open');
    const consent = await db.query<{ consent_id: string }>(
      'SELECT consent_id FROM health_links WHERE rider_id = $1',
      [r.riderId],
    );
    const consentId = consent.rows[0].consent_id;

    const erased = await api()
      .delete(`/riders/${r.riderId}`)
      .set(await as(r.riderId))
      .expect(200);
    expect(erased.body).toEqual({
      consentRevoked: true,
      cardsUnlinked: 1,
      checkInsKeptUntilRetention: true,
    });

    expect((await db.query('SELECT 1 FROM riders WHERE id = $1', [r.riderId])).rowCount).toBe(0);
    expect(
      (await db.query('SELECT 1 FROM health_links WHERE rider_id = $1', [r.riderId])).rowCount,
    ).toBe(0);
    const card = await db.query<{ rider_id: string | null }>(
      'SELECT rider_id FROM transit_cards WHERE card_no = $1',
      [cardNo],
    );
    expect(card.rows).toEqual([{ rider_id: null }]);
    // Revoked at the authority too: the consent reads nothing any more.
    await request(authority.url)
      .get(`/v1/consents/${consentId}/status`)
      .set('x-api-key', AUTHORITY_KEY)
      .expect(404);
    // The account is gone: its screen and its ride codes find no rider.
    await api()
      .get(`/riders/${r.riderId}/status`)
      .set(await as(r.riderId))
      .expect(404);
    await api()
      .post(`/riders/${r.riderId}/ride-code`)
      .set(await as(r.riderId))
      .expect(404);
    // The check-in stays until retention, and the authority's trace still finds it.
    expect(
      (await db.query('SELECT 1 FROM check_ins WHERE id = $1', [ride.checkInId])).rowCount,
    ).toBe(1);
    const traced = await api()
      .post('/checkins/trace')
      .set(await bearer({ sub: 'cdc-1', role: 'authority' }))
      .send({
        idNumber: r.idNumber,
        from: new Date(Date.now() - 5 * 60_000).toISOString(),
        to: new Date(Date.now() + 60_000).toISOString(),
      })
      .expect(200);
    expect((traced.body.checkIns as { checkInId: string }[]).map((c) => c.checkInId)).toContain(
      ride.checkInId,
    );
    // Erasing twice finds nothing; the person can register again afterwards.
    await api()
      .delete(`/riders/${r.riderId}`)
      .set(await as(r.riderId))
      .expect(404);
    await registerAs(gw.url, randomUUID(), r.idNumber);
  });
});
