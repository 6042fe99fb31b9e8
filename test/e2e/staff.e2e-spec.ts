import request from 'supertest';
import { Client } from 'pg';
import type { NatsConnection } from 'nats';
import {
  formatShanghai,
  gateCommandSubject,
  type GateCommand,
  type GateReply,
} from '@app/protocol';
import { randomUUID } from 'node:crypto';
import { healthy, person, rideCode, rider } from '../support/factories';
import {
  AUTHORITY_KEY,
  bearer,
  randomIdNumber,
  tap,
  uniqueId,
  type GatewayUnderTest,
  startStack,
  type TestStack,
} from '../support/stack';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { fixedClock } from '../../apps/gateway/src/common/clock';
import { hashIdNumber } from '../../apps/gateway/src/riders/id-hash';
import { respondToCommands } from '../../gate-sim/src/gate';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY = 24 * HOUR;
const STATION = 'S0312';
const OTHER = 'S0601';

describe('the station staff desk', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let nc: NatsConnection;
  let db: Client;
  const clock = fixedClock(Date.now());
  let staffId: string;

  let stack: TestStack;

  beforeAll(async () => {
    ({ authority, gw, nc, db } = stack = await startStack({ clock }));
  });

  afterAll(() => stack.close());

  beforeEach(() => {
    clock.set(Date.now());
    staffId = uniqueId('staff');
  });

  const staff = (station = STATION) => bearer({ sub: staffId, role: 'staff', station });
  const desk = async (path: string, body: object, station = STATION) =>
    request(gw.url)
      .post(`/stations/${station}/${path}`)
      .set(await staff())
      .send(body);
  const authorityApi = () => request(authority.url);
  const audit = async () =>
    (
      await db.query<{ act: string; evidence: string | null; outcome: string; station_id: string }>(
        'SELECT act, evidence, outcome, station_id FROM staff_audit WHERE staff_id = $1 ORDER BY id',
        [staffId],
      )
    ).rows;
  const expectReply = (r: GateReply, outcome: GateReply['outcome'], reasons: string[]) =>
    expect({ outcome: r.outcome, reasons: [...r.reasons].sort() }).toEqual({
      outcome,
      reasons: [...reasons].sort(),
    });
  /** A temperature re-measure that passes: the simplest verification a registration can name. */
  const passing = async (station = STATION): Promise<string> => {
    const res = await desk('desk/verify/temperature', { temperatureC: 36.5 }, station);
    expect(res.body).toMatchObject({ pass: true });
    return res.body.verificationId as string;
  };
  const verifications = async () =>
    (
      await db.query<{ evidence: string; verdict: string; station_id: string }>(
        'SELECT evidence, verdict, station_id FROM staff_verifications WHERE staff_id = $1 ORDER BY at, id',
        [staffId],
      )
    ).rows;
  const issueOffline = async (idNumber: string): Promise<string> => {
    const res = await authorityApi()
      .post(`/v1/persons/${idNumber}/offline-codes`)
      .set('x-api-key', AUTHORITY_KEY)
      .expect(201);
    return (res.body as { code: string }).code;
  };

  describe('staff of one station cannot act at another (403)', () => {
    it.each([
      ['desk/verify/temperature', { temperatureC: 36.5 }],
      ['desk/verify/test-report', { source: 'paper', sampledAt: '2022-06-01T08:00:00+08:00' }],
      ['desk/verify/offline-code', { code: 'x', idNumber: '310101195001011234' }],
      ['desk/verify/relative-code', { code: 'x' }],
      ['desk/verify/elderly-child', { idNumber: '310101195001011234', name: '张' }],
      ['desk/registrations', { verificationId: '00000000-0000-4000-8000-000000000000' }],
      [
        'desk/passes',
        {
          gateId: 'G01',
          expiresInMinutes: 5,
          verificationId: '00000000-0000-4000-8000-000000000000',
        },
      ],
      ['desk/id-lookups', { idNumber: '310101195001011234', riderPresent: true }],
      ['gates/G01/open', { reason: 'staff-verified' }],
    ])('POST /stations/S0601/%s as staff of S0312', async (path, body) => {
      const res = await desk(path, body, OTHER);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
    });

    it('and riders or operators are not staff', async () => {
      await request(gw.url)
        .post(`/stations/${STATION}/desk/verify/temperature`)
        .set(await bearer({ sub: 'op', role: 'operator' }))
        .send({ temperatureC: 36.5 })
        .expect(403);
      await request(gw.url)
        .post(`/stations/${STATION}/gates/G01/open`)
        .send({ reason: 'staff-verified' })
        .expect(401);
      expect(await audit()).toEqual([]);
    });
  });

  describe('verify evidence', () => {
    it('an offline code with the ID card it belongs to; superseded by a reissue or a loss report', async () => {
      const elderly = await person(authority.url, { ...healthy(clock.now()), birthYear: 1950 });
      const first = await issueOffline(elderly);
      const ok = await desk('desk/verify/offline-code', { code: first, idNumber: elderly });
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({
        verificationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        pass: true,
        reasons: [],
        evidence: 'offline-code',
        codeStatus: 'valid',
        policyVersion: 'rv-20220601-pilot',
        usableUntil: formatShanghai(clock.now() + 30 * MINUTE),
      });
      const stranger = await person(authority.url, healthy(clock.now()));
      const wrong = await desk('desk/verify/offline-code', { code: first, idNumber: stranger });
      expect(wrong.body).toMatchObject({
        pass: false,
        reasons: ['CODE_INVALID'],
        codeStatus: 'not-holder',
      });

      const second = await issueOffline(elderly);
      const superseded = await desk('desk/verify/offline-code', { code: first, idNumber: elderly });
      expect(superseded.body).toMatchObject({
        pass: false,
        reasons: ['CODE_INVALID'],
        codeStatus: 'superseded',
      });
      expect(
        (await desk('desk/verify/offline-code', { code: second, idNumber: elderly })).body.pass,
      ).toBe(true);
      await authorityApi()
        .post(`/v1/persons/${elderly}/offline-codes/report-lost`)
        .set('x-api-key', AUTHORITY_KEY)
        .expect(204);
      expect(
        (await desk('desk/verify/offline-code', { code: second, idNumber: elderly })).body,
      ).toMatchObject({
        pass: false,
        codeStatus: 'superseded',
      });
      const unknown = await desk('desk/verify/offline-code', {
        code: 'OFF-nope',
        idNumber: elderly,
      });
      expect(unknown.body).toMatchObject({
        pass: false,
        reasons: ['CODE_INVALID'],
        codeStatus: 'unknown',
      });
    });

    it('an offline code: the health rules in force decide for a valid one', async () => {
      const child = await person(authority.url, {
        negativeTestsAt: [clock.now() - 73 * HOUR],
        birthYear: 2015,
      });
      const code = await issueOffline(child);
      const res = await desk('desk/verify/offline-code', { code, idNumber: child });
      expect(res.body).toMatchObject({
        pass: false,
        reasons: ['TEST_EXPIRED'],
        codeStatus: 'valid',
      });
      expect(await audit()).toEqual([
        { act: 'verify', evidence: 'offline-code', outcome: 'fail', station_id: STATION },
      ]);
    });

    it("a relative's code", async () => {
      const guardian = await person(authority.url, healthy(clock.now()));
      const fine = await person(authority.url, { ...healthy(clock.now()), birthYear: 2014 });
      const untested = await person(authority.url, { birthYear: 1945 });
      const codeOf = async (dependantIdNumber: string) =>
        (
          await authorityApi()
            .post(`/v1/persons/${guardian}/relatives`)
            .set('x-api-key', AUTHORITY_KEY)
            .send({ dependantIdNumber })
            .expect(201)
        ).body.relativeCode as string;
      expect(
        (await desk('desk/verify/relative-code', { code: await codeOf(fine) })).body,
      ).toMatchObject({
        pass: true,
        reasons: [],
        evidence: 'relative-code',
      });
      expect(
        (await desk('desk/verify/relative-code', { code: await codeOf(untested) })).body,
      ).toMatchObject({
        pass: false,
        reasons: ['TEST_MISSING'],
      });
      expect((await desk('desk/verify/relative-code', { code: 'REL-none' })).body).toMatchObject({
        pass: false,
        reasons: ['CODE_INVALID'],
        codeStatus: 'unknown',
      });
    });

    it('the elderly/child test lookup: eligible only under 18 or from 60', async () => {
      const elderly = await person(authority.url, {
        ...healthy(clock.now()),
        birthYear: 1948,
        name: '赵老',
      });
      const ok = await desk('desk/verify/elderly-child', { idNumber: elderly, name: '赵老' });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ pass: true, reasons: [], evidence: 'elderly-child' });
      const adult = await person(authority.url, {
        ...healthy(clock.now()),
        birthYear: 1990,
        name: '钱',
      });
      const refused = await desk('desk/verify/elderly-child', { idNumber: adult, name: '钱' });
      expect(refused.status).toBe(422);
      expect(refused.body.code).toBe('NOT_ELIGIBLE');
      const missing = await desk('desk/verify/elderly-child', {
        idNumber: randomIdNumber({ birthYear: 1940 }),
        name: '无',
      });
      expect(missing.status).toBe(404);
      expect((await audit()).map((a) => a.outcome)).toEqual(['pass', 'not-eligible', 'not-found']);
    });

    it('a paper or remote test report: the window in force decides, to the millisecond', async () => {
      const report = (sampledAt: number, source = 'paper') =>
        desk('desk/verify/test-report', { source, sampledAt: formatShanghai(sampledAt) });
      const inside = await report(clock.now() - 72 * HOUR + 1);
      expect(inside.body).toMatchObject({ pass: true, reasons: [], evidence: 'test-report' });
      const edge = await report(clock.now() - 72 * HOUR, 'remote');
      expect(edge.body).toMatchObject({ pass: false, reasons: ['TEST_EXPIRED'] });
      // Sampled after now: not valid yet, as the gate would judge it.
      expect((await report(clock.now() + 1)).body).toMatchObject({
        pass: false,
        reasons: ['TEST_MISSING'],
        testStanding: 'not-yet-valid',
      });
      expect((await report(clock.now())).body).toMatchObject({ pass: true, testStanding: 'valid' });
      expect(
        (await desk('desk/verify/test-report', { source: 'fax', sampledAt: 'yesterday' })).status,
      ).toBe(400);
    });

    it('a temperature re-measurement', async () => {
      expect((await desk('desk/verify/temperature', { temperatureC: 37.2 })).body).toMatchObject({
        pass: true,
        reasons: [],
      });
      expect((await desk('desk/verify/temperature', { temperatureC: 37.3 })).body).toMatchObject({
        pass: false,
        reasons: ['TEMPERATURE_HIGH'],
      });
      expect((await desk('desk/verify/temperature', { temperatureC: 52 })).status).toBe(400);
    });
  });

  describe('manual registration and one-time passes', () => {
    it('registration writes the venue check-in, keyed by hash, names its verification, and is audited', async () => {
      const idNumber = randomIdNumber({ birthYear: 1950 });
      const verificationId = await passing();
      const res = await desk('desk/registrations', { verificationId, idNumber });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        checkInId: expect.any(String),
        checkedInAt: formatShanghai(clock.now()),
        verificationId,
      });
      const row = await db.query<{
        station_id: string;
        gate_id: string;
        medium: string;
        person_key: Buffer;
      }>('SELECT station_id, gate_id, medium, person_key FROM check_ins WHERE id = $1', [
        res.body.checkInId,
      ]);
      expect(row.rows[0]).toMatchObject({
        station_id: STATION,
        gate_id: 'desk',
        medium: 'desk:temperature',
      });
      expect(row.rows[0].person_key.equals(hashIdNumber(gw.config.idHashKey, idNumber))).toBe(true);
      const v = await db.query(
        'SELECT registration_check_in FROM staff_verifications WHERE id = $1',
        [verificationId],
      );
      expect(v.rows).toEqual([{ registration_check_in: res.body.checkInId }]);
      expect(await audit()).toEqual([
        { act: 'verify', evidence: 'temperature', outcome: 'pass', station_id: STATION },
        {
          act: 'registration',
          evidence: 'temperature',
          outcome: 'registered',
          station_id: STATION,
        },
      ]);
      const ids = await db.query<{ verification_id: string }>(
        'SELECT verification_id FROM staff_audit WHERE staff_id = $1 ORDER BY id',
        [staffId],
      );
      expect(ids.rows.map((r) => r.verification_id)).toEqual([verificationId, verificationId]);
    });

    it('a registration checked in on an offline code keeps the hash of the ID card it was checked with', async () => {
      const elderly = await person(authority.url, { ...healthy(clock.now()), birthYear: 1950 });
      const code = await issueOffline(elderly);
      const checked = await desk('desk/verify/offline-code', { code, idNumber: elderly });
      const res = await desk('desk/registrations', { verificationId: checked.body.verificationId });
      expect(res.status).toBe(201);
      const row = await db.query<{ medium: string; person_key: Buffer }>(
        'SELECT medium, person_key FROM check_ins WHERE id = $1',
        [res.body.checkInId],
      );
      expect(row.rows[0].medium).toBe('desk:offline-code');
      expect(row.rows[0].person_key.equals(hashIdNumber(gw.config.idHashKey, elderly))).toBe(true);
      // The same evidence does not register somebody else.
      const other = await desk('desk/registrations', {
        verificationId: (await desk('desk/verify/offline-code', { code, idNumber: elderly })).body
          .verificationId,
        idNumber: randomIdNumber(),
      });
      expect(other.status).toBe(422);
      expect(other.body.code).toBe('VERIFICATION_OTHER_PERSON');
    });

    it('a registration or a pass without a verification that passed here, recently, once, is refused', async () => {
      const checkIns = async () =>
        (
          await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM check_ins WHERE station_id = $1 AND gate_id = 'desk'`,
            [STATION],
          )
        ).rows[0].n;
      const before = await checkIns();
      const refused = async (body: object, status: number, code: string) => {
        const reg = await desk('desk/registrations', body);
        expect({ status: reg.status, code: reg.body.code }).toEqual({ status, code });
        const pass = await desk('desk/passes', {
          ...body,
          cardNo: uniqueId('C'),
          expiresInMinutes: 5,
        });
        expect({ status: pass.status, code: pass.body.code }).toEqual({ status, code });
      };
      await refused({}, 400, 'VALIDATION_FAILED');
      await refused({ evidence: 'venue-code' }, 400, 'VALIDATION_FAILED');
      await refused({ verificationId: 'not-an-id' }, 400, 'VALIDATION_FAILED');
      await refused(
        { verificationId: '00000000-0000-4000-8000-000000000001' },
        404,
        'VERIFICATION_NOT_FOUND',
      );
      // A failed check justifies nothing.
      const fever = (await desk('desk/verify/temperature', { temperatureC: 38.1 })).body;
      expect(fever).toMatchObject({ pass: false, verificationId: expect.any(String) });
      await refused({ verificationId: fever.verificationId }, 422, 'VERIFICATION_NOT_PASSED');
      // Another station's verification is not this station's.
      const elsewhere = await request(gw.url)
        .post(`/stations/${OTHER}/desk/verify/temperature`)
        .set(await bearer({ sub: staffId, role: 'staff', station: OTHER }))
        .send({ temperatureC: 36.5 })
        .expect(200);
      await refused(
        { verificationId: elsewhere.body.verificationId },
        404,
        'VERIFICATION_NOT_FOUND',
      );
      // Usable for 30 minutes, to the millisecond.
      const verifiedAt = clock.now();
      const old = await passing();
      clock.set(verifiedAt + 30 * MINUTE);
      await refused({ verificationId: old }, 422, 'VERIFICATION_EXPIRED');
      clock.set(verifiedAt + 30 * MINUTE - 1);
      expect((await desk('desk/registrations', { verificationId: old })).status).toBe(201);
      // Once for a registration, once for a pass.
      const twice = await desk('desk/registrations', { verificationId: old });
      expect({ status: twice.status, code: twice.body.code }).toEqual({
        status: 409,
        code: 'VERIFICATION_USED',
      });
      const pass = { verificationId: old, cardNo: uniqueId('C'), expiresInMinutes: 5 };
      expect((await desk('desk/passes', pass)).status).toBe(201);
      expect((await desk('desk/passes', pass)).body.code).toBe('VERIFICATION_USED');
      expect(await checkIns()).toBe(before + 1);
    });

    it('a pass bound to a ticket opens it once; a refused tap does not spend it', async () => {
      const ticketNo = uniqueId('CT');
      const credential = { kind: 'companion-ticket' as const, ticketNo };
      const verificationId = await passing();
      const issued = await desk('desk/passes', { ticketNo, expiresInMinutes: 10, verificationId });
      expect(issued.status).toBe(201);
      expect(issued.body).toEqual({
        passId: expect.any(String),
        boundTo: `ticket:${ticketNo}`,
        expiresAt: formatShanghai(clock.now() + 10 * MINUTE),
        verificationId,
      });
      const again = await desk('desk/passes', { ticketNo, expiresInMinutes: 10, verificationId });
      expect({ status: again.status, code: again.body.code }).toEqual({
        status: 409,
        code: 'VERIFICATION_USED',
      });
      // Another station's gate does not honour it.
      expectReply(await tap(nc, { stationId: OTHER, gateId: 'G01', credential }), 'see-staff', [
        'VENUE_CHECK_REQUIRED',
      ]);
      expectReply(
        await tap(nc, { stationId: STATION, gateId: 'G01', credential, temperatureC: 38 }),
        'see-staff',
        ['TEMPERATURE_HIGH'],
      );
      const opened = await tap(nc, { stationId: STATION, gateId: 'G01', credential });
      expectReply(opened, 'open', []);
      expect(opened.checkInId).toEqual(expect.any(String));
      expectReply(
        await tap(nc, { stationId: STATION, gateId: 'G01', credential, mode: 'exit' }),
        'open',
        [],
      );
      expectReply(await tap(nc, { stationId: STATION, gateId: 'G01', credential }), 'see-staff', [
        'VENUE_CHECK_REQUIRED',
      ]);
      const used = await db.query(
        'SELECT used_at IS NOT NULL AS used FROM staff_passes WHERE id = $1',
        [issued.body.passId],
      );
      expect(used.rows).toEqual([{ used: true }]);
    });

    it('a pass bound to a gate opens the next card or ticket there, and expires exactly on time', async () => {
      const gateId = uniqueId('G');
      const verificationId = await passing();
      const issuedAt = clock.now();
      await desk('desk/passes', { gateId, expiresInMinutes: 1, verificationId }).then((r) =>
        expect(r.status).toBe(201),
      );
      const sj = { kind: 'single-journey' as const, ticketNo: uniqueId('SJ') };
      expectReply(
        await tap(nc, { stationId: STATION, gateId: uniqueId('G'), credential: sj }),
        'see-staff',
        ['VENUE_CHECK_REQUIRED'],
      );
      clock.set(issuedAt + MINUTE);
      expectReply(await tap(nc, { stationId: STATION, gateId, credential: sj }), 'see-staff', [
        'VENUE_CHECK_REQUIRED',
      ]);
      clock.set(issuedAt + MINUTE - 1);
      expectReply(await tap(nc, { stationId: STATION, gateId, credential: sj }), 'open', []);
      const plain = { kind: 'card' as const, cardNo: uniqueId('C') };
      expectReply(await tap(nc, { stationId: STATION, gateId, credential: plain }), 'see-staff', [
        'VENUE_CHECK_REQUIRED',
      ]);
    });

    it('a gate pass is spent once, even by taps that arrive together', async () => {
      const gateId = uniqueId('G');
      expect(
        (
          await desk('desk/passes', {
            gateId,
            expiresInMinutes: 5,
            verificationId: await passing(),
          })
        ).status,
      ).toBe(201);
      const replies = await Promise.all(
        Array.from({ length: 8 }, () =>
          tap(nc, {
            stationId: STATION,
            gateId,
            credential: { kind: 'single-journey', ticketNo: uniqueId('SJ') },
          }),
        ),
      );
      expect(replies.filter((r) => r.outcome === 'open')).toHaveLength(1);
      expect(replies.filter((r) => r.reasons.includes('VENUE_CHECK_REQUIRED'))).toHaveLength(7);
    });

    it('a pass names exactly one card, ticket, gate or rider, for 1..60 minutes', async () => {
      const verificationId = await passing();
      for (const body of [
        { expiresInMinutes: 5 },
        { cardNo: 'C1', gateId: 'G1', expiresInMinutes: 5 },
        { cardNo: 'C1', riderId: randomUUID(), expiresInMinutes: 5 },
        { cardNo: 'C1', expiresInMinutes: 0 },
        { cardNo: 'C1', expiresInMinutes: 61 },
        { gateId: 'G.1', expiresInMinutes: 5 },
        { riderId: 'not-a-rider', expiresInMinutes: 5 },
      ]) {
        expect((await desk('desk/passes', { ...body, verificationId })).status).toBe(400);
      }
    });

    describe('a pass for a rider sent to staff (their next entry with their ride code)', () => {
      const unauthorized = () =>
        rider(gw.url, authority.url, {
          ...healthy(clock.now()),
          authorized: false,
          birthYear: 1950,
        });
      const riderPasses = async (riderId: string) =>
        (
          await db.query<{ bound_kind: string; verification_id: string; station_id: string }>(
            `SELECT bound_kind, verification_id, station_id FROM staff_passes WHERE bound_to = $1`,
            [`rider:${riderId}`],
          )
        ).rows;

      it('from the ride code scanned at the desk, which stays unspent', async () => {
        const r = await unauthorized();
        const code = await rideCode(gw.url, r.riderId);
        const verificationId = await passing();
        const res = await desk('desk/passes', {
          rideCode: code,
          expiresInMinutes: 10,
          verificationId,
        });
        expect(res.status).toBe(201);
        expect(res.body).toEqual({
          passId: expect.any(String),
          boundTo: `rider:${r.riderId}`,
          expiresAt: formatShanghai(clock.now() + 10 * MINUTE),
          verificationId,
        });
        expect(await riderPasses(r.riderId)).toEqual([
          { bound_kind: 'rider', verification_id: verificationId, station_id: STATION },
        ]);
        const used = await db.query('SELECT 1 FROM ride_code_uses WHERE jti = $1', [
          JSON.parse(Buffer.from(code.split('.')[1], 'base64url').toString()).jti,
        ]);
        expect(used.rows).toEqual([]);
      });

      it('from the rider id', async () => {
        const r = await unauthorized();
        const verificationId = await passing();
        const res = await desk('desk/passes', {
          riderId: r.riderId,
          expiresInMinutes: 5,
          verificationId,
        });
        expect(res.status).toBe(201);
        expect(res.body.boundTo).toBe(`rider:${r.riderId}`);
      });

      it('refuses a forged or expired ride code, an unknown rider, and evidence about someone else', async () => {
        const r = await unauthorized();
        const forged = (await rideCode(gw.url, r.riderId)).slice(0, -4) + 'AAAA';
        const cases: [object, number, string][] = [
          [{ rideCode: forged }, 422, 'CODE_INVALID'],
          [{ rideCode: 'not.a.code' }, 422, 'CODE_INVALID'],
          [{ riderId: randomUUID() }, 404, 'RIDER_NOT_FOUND'],
        ];
        for (const [body, status, code] of cases) {
          const res = await desk('desk/passes', {
            ...body,
            expiresInMinutes: 5,
            verificationId: await passing(),
          });
          expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
        }
        const minted = await rideCode(gw.url, r.riderId);
        clock.set(clock.now() + 10 * MINUTE);
        const expired = await desk('desk/passes', {
          rideCode: minted,
          expiresInMinutes: 5,
          verificationId: await passing(),
        });
        expect(expired.body.code).toBe('CODE_EXPIRED');
        // An elderly/child lookup of another person does not clear this rider's account.
        const other = await person(authority.url, { ...healthy(clock.now()), birthYear: 1950 });
        const lookup = await desk('desk/verify/elderly-child', {
          idNumber: other,
          name: '测试乘客',
        });
        expect(lookup.body.pass).toBe(true);
        const res = await desk('desk/passes', {
          riderId: r.riderId,
          expiresInMinutes: 5,
          verificationId: lookup.body.verificationId,
        });
        expect({ status: res.status, code: res.body.code }).toEqual({
          status: 422,
          code: 'VERIFICATION_OTHER_PERSON',
        });
        // The rider's own lookup does.
        const own = await desk('desk/verify/elderly-child', {
          idNumber: r.idNumber,
          name: '测试乘客',
        });
        expect(own.body.pass).toBe(true);
        const ok = await desk('desk/passes', {
          riderId: r.riderId,
          expiresInMinutes: 5,
          verificationId: own.body.verificationId,
        });
        expect(ok.status).toBe(201);
        expect(await riderPasses(r.riderId)).toHaveLength(1);
      });
    });
  });

  describe('verifications', () => {
    it('every check the desk performs gets an id and a record of what was checked and its verdict, never a value', async () => {
      const idNumber = await person(authority.url, {
        colour: 'yellow',
        negativeTestsAt: [clock.now() - 5 * HOUR],
        birthYear: 1950,
      });
      const sampledAt = formatShanghai(clock.now() - 5 * HOUR);
      const answers = [
        await desk('desk/verify/temperature', { temperatureC: 37.91 }),
        await desk('desk/verify/test-report', { source: 'paper', sampledAt }),
        await desk('desk/verify/elderly-child', { idNumber, name: '测试乘客' }),
        await desk('desk/id-lookups', { idNumber, riderPresent: true }),
        await desk('desk/verify/offline-code', { code: 'OFF-none', idNumber }),
        await desk('desk/verify/relative-code', { code: 'REL-none' }),
      ];
      const ids = answers.map((a) => a.body.verificationId as string);
      expect(new Set(ids).size).toBe(6);
      const rows = await db.query(
        'SELECT * FROM staff_verifications WHERE id = ANY($1::uuid[]) ORDER BY at, id',
        [ids],
      );
      expect(
        rows.rows
          .map((r: { evidence: string; verdict: string }) => `${r.evidence}:${r.verdict}`)
          .sort(),
      ).toEqual(
        [
          'temperature:fail',
          'test-report:pass',
          'elderly-child:fail',
          'id-number:fail',
          'offline-code:fail',
          'relative-code:fail',
        ].sort(),
      );
      const keyed = rows.rows.filter((r: { person_key: Buffer | null }) => r.person_key !== null);
      expect(keyed).toHaveLength(3);
      for (const r of keyed)
        expect((r.person_key as Buffer).equals(hashIdNumber(gw.config.idHashKey, idNumber))).toBe(
          true,
        );
      const stored = JSON.stringify(rows.rows);
      for (const value of ['yellow', '37.91', sampledAt, sampledAt.slice(0, 16), idNumber])
        expect(stored).not.toContain(value);
      expect((await verifications()).every((v) => v.station_id === STATION)).toBe(true);
    });

    it('a check that ends in an error is recorded too, and its id is in the error body', async () => {
      const adult = await person(authority.url, {
        ...healthy(clock.now()),
        birthYear: 1990,
        name: '钱',
      });
      const res = await desk('desk/verify/elderly-child', { idNumber: adult, name: '钱' });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ code: 'NOT_ELIGIBLE', verificationId: expect.any(String) });
      expect(await verifications()).toEqual([
        { evidence: 'elderly-child', verdict: 'not-eligible', station_id: STATION },
      ]);
    });

    it('a recorded verification cannot be rewritten', async () => {
      const id = await passing();
      await expect(
        db.query(`UPDATE staff_verifications SET verdict = 'pass' WHERE id = $1`, [id]),
      ).resolves.toBeDefined();
      await expect(
        db.query(`UPDATE staff_verifications SET verdict = 'fail' WHERE id = $1`, [id]),
      ).rejects.toThrow(/fixed once recorded/);
    });
  });

  describe('remote open', () => {
    it('reports the acknowledgement of a gate that opens', async () => {
      const gateId = uniqueId('G');
      const seen: GateCommand[] = [];
      const responder = respondToCommands(nc, STATION, gateId, (cmd) => seen.push(cmd));
      await nc.flush();
      try {
        const res = await desk(`gates/${gateId}/open`, { reason: 'staff-verified' });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ acknowledged: true, passId: expect.any(String) });
        expect(seen).toEqual([
          { v: 1, cmd: 'open-once', passId: res.body.passId, reason: 'staff-verified' },
        ]);
      } finally {
        responder.stop();
      }
      expect(await audit()).toEqual([
        {
          act: 'remote-open',
          evidence: 'staff-verified',
          outcome: 'acknowledged',
          station_id: STATION,
        },
      ]);
    });

    it('a gate nobody answers for is reported as not answering', async () => {
      const res = await desk(`gates/${uniqueId('G')}/open`, { reason: 'accessibility' });
      expect(res.body).toEqual({
        acknowledged: false,
        passId: expect.any(String),
        reason: 'GATE_DID_NOT_ANSWER',
      });
    });

    it('a gate that stays silent is given 2 s, then reported', async () => {
      const gateId = uniqueId('G');
      const silent = nc.subscribe(gateCommandSubject(STATION, gateId));
      await nc.flush();
      try {
        const started = Date.now();
        const res = await desk(`gates/${gateId}/open`, { reason: 'equipment' });
        const took = Date.now() - started;
        expect(res.body).toMatchObject({ acknowledged: false, reason: 'GATE_DID_NOT_ANSWER' });
        expect(took).toBeGreaterThanOrEqual(1_950);
        expect(took).toBeLessThan(4_000);
      } finally {
        silent.unsubscribe();
      }
      expect((await audit())[0]).toMatchObject({
        act: 'remote-open',
        outcome: 'GATE_DID_NOT_ANSWER',
      });
    });
  });

  describe('ID-number lookup (Tianfu)', () => {
    it('shows the status until exactly 10 s after the gateway clock; audits the use, never the status', async () => {
      const idNumber = await person(authority.url, {
        colour: 'yellow',
        negativeTestsAt: [clock.now() - HOUR],
      });
      const res = await desk('desk/id-lookups', { idNumber, riderPresent: true });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        verificationId: expect.any(String),
        pass: false,
        found: true,
        colour: 'yellow',
        latestNegativeSampledAt: expect.stringMatching(/\+08:00$/),
        reasons: ['HEALTH_CODE_NOT_GREEN'],
        displayUntil: formatShanghai(clock.now() + 10_000),
      });
      const rows = await db.query('SELECT * FROM staff_audit WHERE staff_id = $1', [staffId]);
      expect(rows.rows).toHaveLength(1);
      expect(rows.rows[0]).toMatchObject({
        act: 'id-lookup',
        evidence: 'id-number',
        outcome: 'fail',
        verification_id: res.body.verificationId,
      });
      const stored = JSON.stringify(rows.rows);
      expect(stored).not.toContain('yellow');
      expect(stored).not.toContain(idNumber);
      expect(gw.logs.text).not.toContain(idNumber);
    });

    it('needs the rider present; an unknown number is 404, and audited as such', async () => {
      const idNumber = randomIdNumber();
      expect((await desk('desk/id-lookups', { idNumber, riderPresent: false })).status).toBe(400);
      expect((await desk('desk/id-lookups', { idNumber, riderPresent: true })).status).toBe(404);
      expect(await audit()).toEqual([
        { act: 'id-lookup', evidence: 'id-number', outcome: 'not-found', station_id: STATION },
      ]);
    });
  });

  describe('the audit', () => {
    it('is append-only: the database refuses UPDATE, DELETE and TRUNCATE', async () => {
      await desk('desk/verify/temperature', { temperatureC: 36.4 });
      await expect(
        db.query(`UPDATE staff_audit SET outcome = 'pass' WHERE staff_id = $1`, [staffId]),
      ).rejects.toThrow(/append-only/);
      await expect(
        db.query('DELETE FROM staff_audit WHERE staff_id = $1', [staffId]),
      ).rejects.toThrow(/append-only/);
      await expect(db.query('TRUNCATE staff_audit')).rejects.toThrow(/append-only/);
      expect(await audit()).toEqual([
        { act: 'verify', evidence: 'temperature', outcome: 'pass', station_id: STATION },
      ]);
    });

    it('staff read their own station’s trail', async () => {
      await desk('desk/verify/temperature', { temperatureC: 38 });
      const res = await request(gw.url)
        .get(`/stations/${STATION}/desk/audit?limit=5`)
        .set(await staff())
        .expect(200);
      expect(res.body[0]).toMatchObject({
        staffId,
        act: 'verify',
        outcome: 'fail',
        stationId: STATION,
      });
      await request(gw.url)
        .get(`/stations/${OTHER}/desk/audit`)
        .set(await staff())
        .expect(403);
    });
  });

  describe('offline codes expire at 180 days (the authority clock)', () => {
    afterEach(async () => {
      await authorityApi().delete('/v1/admin/clock').set('x-api-key', AUTHORITY_KEY).expect(204);
    });

    it('valid a minute before, expired a minute after', async () => {
      const elderly = await person(authority.url, { ...healthy(clock.now()), birthYear: 1950 });
      const code = await issueOffline(elderly);
      const shift = (offsetMs: number) =>
        authorityApi()
          .put('/v1/admin/clock')
          .set('x-api-key', AUTHORITY_KEY)
          .send({ offsetMs })
          .expect(204);
      await shift(180 * DAY - MINUTE);
      expect(
        (await desk('desk/verify/offline-code', { code, idNumber: elderly })).body,
      ).toMatchObject({
        codeStatus: 'valid',
      });
      await shift(180 * DAY + MINUTE);
      expect(
        (await desk('desk/verify/offline-code', { code, idNumber: elderly })).body,
      ).toMatchObject({
        pass: false,
        reasons: ['CODE_EXPIRED'],
        codeStatus: 'expired',
      });
    });
  });
});
