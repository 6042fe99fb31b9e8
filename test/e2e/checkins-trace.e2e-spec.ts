import request from 'supertest';
import type { CheckpointCredential, GateReply } from '@app/protocol';
import { hashIdNumber } from '../../apps/gateway/src/riders/id-hash';
import { asRider, healthy, person, realNameCard, rideCode, rider } from '../support/factories';
import { bearer, rawRequest, startStack, tap, uniqueId, type TestStack } from '../support/stack';

const PILOT = 'S0312';
const TRACE = '/checkins/trace';

interface Traced {
  checkInId: string;
  checkedInAt: string;
  stationId: string;
  gateId: string;
  path: string;
  medium: string | null;
  policyVersion: string;
  policyHash: string;
}

/**
 * The health authority's per-person trace over HTTP: one ID number finds that person's
 * check-ins on every path a check-in is made by, and only theirs.
 */
describe('per-person trace for the health authority', () => {
  let stack: TestStack;
  const officer = uniqueId('officer');
  const asAuthority = () => bearer({ sub: officer, role: 'authority' });
  const sentinel = uniqueId('SEN');

  beforeAll(async () => {
    stack = await startStack();
    await request(stack.gw.url)
      .put(`/network/stations/${PILOT}/devices/${sentinel}`)
      .set(await bearer({ sub: 'op-trace', role: 'operator' }))
      .send({ sentinel: true })
      .expect(200);
  });

  afterAll(() => stack.close());

  const scan = (credential: CheckpointCredential): Promise<GateReply> =>
    rawRequest(stack.nc, `metro.checkpoint.${PILOT}.${sentinel}.scan`, {
      v: 1,
      tapId: uniqueId('scan-'),
      stationId: PILOT,
      deviceId: sentinel,
      temperatureC: 36.5,
      credential,
    });
  const around = () => ({
    from: new Date(Date.now() - 5 * 60_000).toISOString(),
    to: new Date(Date.now() + 60_000).toISOString(),
  });
  const trace = async (idNumber: string, window = around()) => {
    const res = await request(stack.gw.url)
      .post(TRACE)
      .set(await asAuthority())
      .send({ idNumber, ...window });
    expect(res.status).toBe(200);
    return res;
  };

  it('finds one person across ride code, linked card, sentinel and desk, and no one else', async () => {
    const { gw, nc, authority } = stack;
    const r = await rider(gw.url, authority.url, healthy(Date.now()));
    const gateId = uniqueId('G');
    const byCode = await tap(nc, {
      stationId: PILOT,
      gateId,
      credential: { kind: 'ride-code', code: await rideCode(gw.url, r.riderId) },
    });
    expect(byCode.outcome).toBe('open');

    const cardNo = uniqueId('31');
    await realNameCard(authority.url, r.idNumber, cardNo);
    await request(gw.url)
      .post(`/riders/${r.riderId}/cards`)
      .set(await asRider(r.riderId))
      .send({ cardNo })
      .expect(201);
    const card = { kind: 'card' as const, cardNo };
    expect(
      (await tap(nc, { stationId: PILOT, gateId, mode: 'exit', credential: card })).outcome,
    ).toBe('open');
    const byCard = await tap(nc, { stationId: PILOT, gateId, credential: card });
    expect(byCard.outcome).toBe('open');

    const bySentinel = await scan({ kind: 'id-card', idNumber: r.idNumber });
    expect(bySentinel.outcome).toBe('open');

    // At the desk: a re-measured temperature, registered under the number on their ID card.
    const staff = await bearer({ sub: uniqueId('staff'), role: 'staff', station: PILOT });
    const verified = await request(gw.url)
      .post(`/stations/${PILOT}/desk/verify/temperature`)
      .set(staff)
      .send({ temperatureC: 36.5 })
      .expect(200);
    const byDesk = await request(gw.url)
      .post(`/stations/${PILOT}/desk/registrations`)
      .set(staff)
      .send({ verificationId: verified.body.verificationId, idNumber: r.idNumber })
      .expect(201);

    // Someone else at the same sentinel, in the same window.
    const stranger = await person(authority.url, healthy(Date.now()));
    const theirs = await scan({ kind: 'id-card', idNumber: stranger });
    expect(theirs.outcome).toBe('open');

    const res = await trace(r.idNumber);
    const got = res.body as { checkIns: Traced[]; truncated: boolean };
    expect(got.truncated).toBe(false);
    expect(got.checkIns.map((c) => [c.checkInId, c.path, c.stationId])).toEqual([
      [byCode.checkInId, 'ride-code', PILOT],
      [byCard.checkInId, 'card', PILOT],
      [bySentinel.checkInId, 'sentinel', PILOT],
      [byDesk.body.checkInId, 'desk', PILOT],
    ]);
    expect(got.checkIns[1]).toMatchObject({ gateId, medium: `card:${cardNo}` });
    expect(got.checkIns[2]).toMatchObject({ gateId: sentinel, medium: 'id-card' });
    expect(got.checkIns[0]).toEqual({
      checkInId: byCode.checkInId,
      checkedInAt: byCode.decidedAt,
      stationId: PILOT,
      gateId,
      path: 'ride-code',
      medium: null,
      policyVersion: byCode.policyVersion,
      policyHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // The rider's own id is the gateway's; the authority never gets it.
    expect(res.text).not.toContain(r.riderId);

    const strangers = (await trace(stranger)).body as { checkIns: Traced[] };
    expect(strangers.checkIns.map((c) => c.checkInId)).toEqual([theirs.checkInId]);
  });

  it('keeps to the window: [from, to)', async () => {
    const idNumber = await person(stack.authority.url, healthy(Date.now()));
    const reply = await scan({ kind: 'id-card', idNumber });
    expect(reply.outcome).toBe('open');
    const at = Date.parse(reply.decidedAt);
    const ids = async (from: number, to: number) =>
      (
        (
          await trace(idNumber, {
            from: new Date(from).toISOString(),
            to: new Date(to).toISOString(),
          })
        ).body as { checkIns: Traced[] }
      ).checkIns.map((c) => c.checkInId);
    expect(await ids(at, at + 1)).toEqual([reply.checkInId]);
    expect(await ids(at - 60_000, at)).toEqual([]);
    expect(await ids(at + 1, at + 60_000)).toEqual([]);
  });

  it('audits every trace by keyed hash, window and count, append-only, never the number', async () => {
    const idNumber = await person(stack.authority.url, healthy(Date.now()));
    expect((await scan({ kind: 'id-card', idNumber })).outcome).toBe('open');
    const auditor = uniqueId('auditor');
    const window = around();
    await request(stack.gw.url)
      .post(TRACE)
      .set(await bearer({ sub: auditor, role: 'authority' }))
      .send({ idNumber, ...window })
      .expect(200);
    const rows = await stack.db.query(
      `SELECT actor, actor_role, person_key, window_from, window_to, row_count
       FROM checkin_trace_audit WHERE actor = $1`,
      [auditor],
    );
    expect(rows.rows).toEqual([
      {
        actor: auditor,
        actor_role: 'authority',
        person_key: hashIdNumber(stack.gw.config.idHashKey, idNumber),
        window_from: new Date(window.from),
        window_to: new Date(window.to),
        row_count: 1,
      },
    ]);
    const all = await stack.db.query<{ t: string }>(
      'SELECT row_to_json(a)::text AS t FROM checkin_trace_audit a WHERE actor = $1',
      [auditor],
    );
    expect(all.rows[0].t).not.toContain(idNumber);
    for (const sql of [
      'UPDATE checkin_trace_audit SET row_count = 0 WHERE actor = $1',
      'DELETE FROM checkin_trace_audit WHERE actor = $1',
    ]) {
      await expect(stack.db.query(sql, [auditor])).rejects.toThrow(/append-only/);
    }
  });

  it('is for the authority only, and says what is wrong with a bad query', async () => {
    const body = { idNumber: '310101195001011234', ...around() };
    for (const role of ['rider', 'staff', 'operator'] as const) {
      await request(stack.gw.url)
        .post(TRACE)
        .set(await bearer({ sub: 'someone', role, station: PILOT }))
        .send(body)
        .expect(403);
    }
    const bad = await request(stack.gw.url)
      .post(TRACE)
      .set(await asAuthority())
      .send({ ...body, idNumber: '12345' })
      .expect(400);
    expect(JSON.stringify(bad.body)).toMatch(/idNumber/);
    const backwards = await request(stack.gw.url)
      .post(TRACE)
      .set(await asAuthority())
      .send({ ...body, from: body.to, to: body.from })
      .expect(400);
    expect(JSON.stringify(backwards.body)).toMatch(/after/);
  });
});
