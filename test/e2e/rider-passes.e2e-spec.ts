import request from 'supertest';
import type { GateCredential, GateReply } from '@app/protocol';
import { healthy, person, rideCode, rider } from '../support/factories';
import { bearer, startStack, tap, uniqueId, type TestStack } from '../support/stack';

const PILOT = 'S0312'; // line 3: one-code riding enabled
const OTHER_PILOT = 'S0301';
const NOT_PILOT = 'S0105'; // lines 1, 2, 8: not enabled

/**
 * A rider the gate sends to staff has a recorded way in: staff verify, issue a one-time pass for
 * the rider (from the ride code scanned at the desk, or the rider id), and the rider's next ride
 * code at that station opens the gate once, with a check-in and a journey like any entry. The
 * pass names the verification that justified it and the tap that spent it.
 */
describe('passes for riders sent to staff, over HTTP and raw NATS', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startStack();
  });

  afterAll(() => stack.close());

  const expectReply = (r: GateReply, outcome: GateReply['outcome'], reasons: string[]) =>
    expect({ outcome: r.outcome, reasons: [...r.reasons].sort() }).toEqual({
      outcome,
      reasons: [...reasons].sort(),
    });
  const desk = async (station: string, path: string, body: object) =>
    request(stack.gw.url)
      .post(`/stations/${station}/${path}`)
      .set(await bearer({ sub: uniqueId('staff'), role: 'staff', station }))
      .send(body);
  /** A temperature re-measure that passes: the verification a pass names. */
  const verified = async (station: string): Promise<string> => {
    const res = await desk(station, 'desk/verify/temperature', { temperatureC: 36.5 });
    expect(res.body).toMatchObject({ pass: true });
    return res.body.verificationId as string;
  };
  const rideTap = async (
    riderId: string,
    stationId: string,
    extra: { gateId?: string; tapId?: string; temperatureC?: number } = {},
  ) =>
    tap(stack.nc, {
      stationId,
      gateId: extra.gateId ?? uniqueId('G'),
      tapId: extra.tapId,
      temperatureC: extra.temperatureC,
      credential: { kind: 'ride-code', code: await rideCode(stack.gw.url, riderId) },
    });
  const exit = async (riderId: string, stationId: string) =>
    tap(stack.nc, {
      stationId,
      gateId: uniqueId('G'),
      mode: 'exit',
      credential: { kind: 'ride-code', code: await rideCode(stack.gw.url, riderId) },
    });
  const pass = async (passId: string) =>
    (
      await stack.db.query<{ used_tap: string | null; verification_id: string }>(
        'SELECT used_tap, verification_id FROM staff_passes WHERE id = $1',
        [passId],
      )
    ).rows[0];
  const checkIn = async (id: string) =>
    (
      await stack.db.query<{ rider_id: string | null; station_id: string; gate_id: string }>(
        'SELECT rider_id, station_id, gate_id FROM check_ins WHERE id = $1',
        [id],
      )
    ).rows;
  const journey = async (traveller: string) =>
    (
      await stack.db.query<{ inside: boolean; station_id: string }>(
        'SELECT inside, station_id FROM journeys WHERE traveller = $1',
        [traveller],
      )
    ).rows;

  it('an unauthorized rider cleared at the desk by the ride code: the next code opens once, with a check-in and a journey', async () => {
    const r = await rider(stack.gw.url, stack.authority.url, {
      ...healthy(Date.now()),
      authorized: false,
    });
    expectReply(await rideTap(r.riderId, PILOT), 'see-staff', ['NOT_AUTHORIZED']);

    const verificationId = await verified(PILOT);
    const issued = await desk(PILOT, 'desk/passes', {
      rideCode: await rideCode(stack.gw.url, r.riderId),
      expiresInMinutes: 10,
      verificationId,
    });
    expect(issued.status).toBe(201);

    const gateId = uniqueId('G');
    const tapId = uniqueId('tap-');
    const opened = await rideTap(r.riderId, PILOT, { gateId, tapId });
    expectReply(opened, 'open', []);
    expect(await checkIn(opened.checkInId ?? '')).toEqual([
      { rider_id: r.riderId, station_id: PILOT, gate_id: gateId },
    ]);
    expect(await journey(`rider:${r.riderId}`)).toEqual([{ inside: true, station_id: PILOT }]);
    // The evidence: the pass names the verification that justified it and the tap that spent it.
    expect(await pass(issued.body.passId as string)).toEqual({
      used_tap: `${gateId}/${tapId}`,
      verification_id: verificationId,
    });
    const v = await stack.db.query('SELECT verdict FROM staff_verifications WHERE id = $1', [
      verificationId,
    ]);
    expect(v.rows).toEqual([{ verdict: 'pass' }]);

    // Spent: out, and the next entry is sent to staff again.
    expectReply(await exit(r.riderId, PILOT), 'open', []);
    expectReply(await rideTap(r.riderId, PILOT), 'see-staff', ['NOT_AUTHORIZED']);
  });

  it('a rider at a station off the one-code lines, cleared by rider id, rides in with a check-in', async () => {
    const r = await rider(stack.gw.url, stack.authority.url, healthy(Date.now()));
    expectReply(await rideTap(r.riderId, NOT_PILOT), 'see-staff', ['ONE_CODE_NOT_ENABLED']);
    const issued = await desk(NOT_PILOT, 'desk/passes', {
      riderId: r.riderId,
      expiresInMinutes: 10,
      verificationId: await verified(NOT_PILOT),
    });
    expect(issued.status).toBe(201);
    const opened = await rideTap(r.riderId, NOT_PILOT);
    expectReply(opened, 'open', []);
    expect(await checkIn(opened.checkInId ?? '')).toEqual([
      expect.objectContaining({ rider_id: r.riderId, station_id: NOT_PILOT }),
    ]);
    expect(await journey(`rider:${r.riderId}`)).toEqual([{ inside: true, station_id: NOT_PILOT }]);
    expect((await pass(issued.body.passId as string)).used_tap).not.toBeNull();
  });

  it('is spent only by an opening tap at its station: not elsewhere, not by a fever, not by a tap that opens anyway', async () => {
    const r = await rider(stack.gw.url, stack.authority.url, {
      ...healthy(Date.now()),
      authorized: false,
    });
    const issued = await desk(PILOT, 'desk/passes', {
      riderId: r.riderId,
      expiresInMinutes: 10,
      verificationId: await verified(PILOT),
    });
    const passId = issued.body.passId as string;
    // Another pilot station does not honour it.
    expectReply(await rideTap(r.riderId, OTHER_PILOT), 'see-staff', ['NOT_AUTHORIZED']);
    // A fever keeps the gate shut: temperature still applies, a pass could not open the gate, so
    // none is spent and the reply is the rules' own.
    expectReply(await rideTap(r.riderId, PILOT, { temperatureC: 38.1 }), 'see-staff', [
      'NOT_AUTHORIZED',
      'TEMPERATURE_HIGH',
    ]);
    expect((await pass(passId)).used_tap).toBeNull();
    expectReply(await rideTap(r.riderId, PILOT), 'open', []);
    expect((await pass(passId)).used_tap).not.toBeNull();

    // A linked, healthy rider whose tap opens on its own does not spend a pass.
    const fine = await rider(stack.gw.url, stack.authority.url, healthy(Date.now()));
    const kept = await desk(PILOT, 'desk/passes', {
      riderId: fine.riderId,
      expiresInMinutes: 10,
      verificationId: await verified(PILOT),
    });
    expectReply(await rideTap(fine.riderId, PILOT), 'open', []);
    expect((await pass(kept.body.passId as string)).used_tap).toBeNull();
  });

  it('two taps of the same rider at once: the pass opens one of them', async () => {
    const r = await rider(stack.gw.url, stack.authority.url, {
      ...healthy(Date.now()),
      authorized: false,
    });
    await desk(PILOT, 'desk/passes', {
      riderId: r.riderId,
      expiresInMinutes: 10,
      verificationId: await verified(PILOT),
    });
    const codes = await Promise.all([0, 1].map(() => rideCode(stack.gw.url, r.riderId)));
    const replies = await Promise.all(
      codes.map((code) =>
        tap(stack.nc, {
          stationId: PILOT,
          gateId: uniqueId('G'),
          credential: { kind: 'ride-code', code },
        }),
      ),
    );
    expect(replies.map((x) => x.outcome).sort()).toEqual(['open', 'see-staff']);
  });

  it('a plain card cleared at the desk opens once, with a check-in and a journey the trace finds', async () => {
    const cardNo = uniqueId('C');
    const credential: GateCredential = { kind: 'card', cardNo };
    const first = await tap(stack.nc, { stationId: PILOT, gateId: uniqueId('G'), credential });
    expectReply(first, 'see-staff', ['VENUE_CHECK_REQUIRED']);
    // The desk checks the holder by the elderly/child lookup: a verification about one person.
    const elderly = await person(stack.authority.url, { ...healthy(Date.now()), birthYear: 1950 });
    const lookup = await desk(PILOT, 'desk/verify/elderly-child', {
      idNumber: elderly,
      name: '测试乘客',
    });
    expect(lookup.body).toMatchObject({ pass: true });
    const verificationId = lookup.body.verificationId as string;
    const issued = await desk(PILOT, 'desk/passes', {
      cardNo,
      expiresInMinutes: 10,
      verificationId,
    });
    expect(issued.status).toBe(201);
    const opened = await tap(stack.nc, { stationId: PILOT, gateId: uniqueId('G'), credential });
    expectReply(opened, 'open', []);
    expect(await checkIn(opened.checkInId ?? '')).toEqual([
      expect.objectContaining({ rider_id: null, station_id: PILOT }),
    ]);
    expect(await journey(`card:${cardNo}`)).toEqual([{ inside: true, station_id: PILOT }]);
    expect(await pass(issued.body.passId as string)).toEqual({
      used_tap: expect.stringMatching(/\//),
      verification_id: verificationId,
    });
    // The check-in carries whom the verification was about: the authority's trace finds it.
    const traced = await request(stack.gw.url)
      .post('/checkins/trace')
      .set(await bearer({ sub: 'officer-passes', role: 'authority' }))
      .send({
        idNumber: elderly,
        from: new Date(Date.now() - 60_000).toISOString(),
        to: new Date(Date.now() + 60_000).toISOString(),
      })
      .expect(200);
    expect(
      (traced.body as { checkIns: { checkInId: string; path: string }[] }).checkIns.map((c) => [
        c.checkInId,
        c.path,
      ]),
    ).toEqual([[opened.checkInId, 'card']]);
  });
});
