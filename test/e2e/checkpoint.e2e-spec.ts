import request from 'supertest';
import { Client } from 'pg';
import type { NatsConnection } from 'nats';
import type { CheckpointCredential, GateReply } from '@app/protocol';
import { asRider, healthy, person, rideCode, rider } from '../support/factories';
import {
  AUTHORITY_KEY,
  bearer,
  rawRequest,
  tap,
  uniqueId,
  type GatewayUnderTest,
  startStack,
  type TestStack,
} from '../support/stack';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { countAuthorityRequests } from '../support/authority-requests';
import { fixedClock } from '../../apps/gateway/src/common/clock';
import { hashIdNumber } from '../../apps/gateway/src/riders/id-hash';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const PILOT = 'S0312'; // line 3: one-code riding enabled
const OTHER_PILOT = 'S0301'; // lines 3 and 4: also enabled
const NOT_PILOT = 'S0105';
const WINDOW = 15 * MINUTE; // seeded dayTicketClearanceMinutes

interface ScanInput {
  stationId?: string;
  deviceId?: string;
  tapId?: string;
  temperatureC?: number | null;
  credential: CheckpointCredential;
}

describe('the security checkpoint and digital sentinel, over raw NATS', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let nc: NatsConnection;
  let db: Client;
  // A settable gateway clock: every rule and every clearance is judged by it.
  const clock = fixedClock(Date.now());

  let stack: TestStack;

  beforeAll(async () => {
    ({ authority, gw, nc, db } = stack = await startStack({ clock }));
    // The operator's setting: SEC01 at the pilot station and SEN05 off the pilot lines are
    // digital sentinels; SEC02 is a plain checkpoint.
    for (const [station, device] of [
      [PILOT, 'SEC01'],
      [NOT_PILOT, 'SEN05'],
    ])
      await request(gw.url)
        .put(`/network/stations/${station}/devices/${device}`)
        .set(await bearer({ sub: 'op-checkpoint', role: 'operator' }))
        .send({ sentinel: true })
        .expect(200);
  });

  afterAll(() => stack.close());

  beforeEach(() => clock.set(Date.now()));

  const scan = (s: ScanInput): Promise<GateReply> => {
    const stationId = s.stationId ?? PILOT;
    const deviceId = s.deviceId ?? 'SEC01';
    return rawRequest(nc, `metro.checkpoint.${stationId}.${deviceId}.scan`, {
      v: 1,
      tapId: s.tapId ?? uniqueId('scan-'),
      stationId,
      deviceId,
      temperatureC: s.temperatureC === undefined ? 36.5 : s.temperatureC,
      credential: s.credential,
    });
  };
  const expectReply = (r: GateReply, outcome: GateReply['outcome'], reasons: string[]) =>
    expect({ outcome: r.outcome, reasons: [...r.reasons].sort() }).toEqual({
      outcome,
      reasons: [...reasons].sort(),
    });
  const rideScan = async (riderId: string, extra: Partial<ScanInput> = {}) =>
    scan({ credential: { kind: 'ride-code', code: await rideCode(gw.url, riderId) }, ...extra });
  const clearances = async (riderId: string) =>
    (
      await db.query<{ station_id: string; cleared_at: Date }>(
        'SELECT station_id, cleared_at FROM checkpoint_clearances WHERE rider_id = $1',
        [riderId],
      )
    ).rows;
  const authorityApi = () => request(authority.url);
  const dayTicket = async (riderId: string, validFrom = clock.now() - HOUR): Promise<string> => {
    const ticketNo = uniqueId('DT');
    await request(gw.url)
      .post(`/riders/${riderId}/tickets`)
      .set(await asRider(riderId))
      .send({ ticketNo, kind: 'day', validFrom: new Date(validFrom).toISOString() })
      .expect(201);
    return ticketNo;
  };
  const ticketTap = (ticketNo: string, stationId = PILOT, mode: 'entry' | 'exit' = 'entry') =>
    tap(nc, {
      stationId,
      gateId: uniqueId('G'),
      mode,
      credential: { kind: 'day-ticket', ticketNo },
    });

  describe('ride-code scans', () => {
    it('pass: records the venue check-in and a clearance, and spends neither the code nor anti-passback', async () => {
      const r = await rider(gw.url, authority.url, healthy(clock.now()));
      const code = await rideCode(gw.url, r.riderId);
      const reply = await scan({ credential: { kind: 'ride-code', code } });
      expectReply(reply, 'open', []);
      expect(reply.checkInId).toEqual(expect.any(String));
      expect(reply.policyVersion).toBe('rv-20220601-pilot');
      const row = await db.query(
        'SELECT rider_id, station_id, gate_id, person_key FROM check_ins WHERE id = $1',
        [reply.checkInId],
      );
      expect(row.rows).toEqual([
        { rider_id: r.riderId, station_id: PILOT, gate_id: 'SEC01', person_key: null },
      ]);
      expect(await clearances(r.riderId)).toEqual([
        { station_id: PILOT, cleared_at: new Date(clock.now()) },
      ]);
      // The same code still opens one entry, and a second scan does not count as "inside".
      expectReply(
        await tap(nc, {
          stationId: PILOT,
          gateId: uniqueId('G'),
          credential: { kind: 'ride-code', code },
        }),
        'open',
        [],
      );
      expectReply(await rideScan(r.riderId), 'open', []);
    });

    it.each([
      ['an expired test', { negativeTestsAt: [Date.now() - 73 * HOUR] }, 36.5, ['TEST_EXPIRED']],
      [
        'a yellow code',
        { colour: 'yellow' as const, negativeTestsAt: [Date.now() - HOUR] },
        36.5,
        ['HEALTH_CODE_NOT_GREEN'],
      ],
      ['a fever', healthy(Date.now()), 37.5, ['TEMPERATURE_HIGH']],
      ['no reading', healthy(Date.now()), null, ['TEMPERATURE_MISSING']],
    ])(
      'sends to staff for %s and records no clearance',
      async (_n, spec, temperatureC, reasons) => {
        const r = await rider(gw.url, authority.url, spec);
        const reply = await rideScan(r.riderId, { temperatureC });
        expectReply(reply, 'see-staff', reasons);
        expect(reply.checkInId).toBeNull();
        expect(await clearances(r.riderId)).toEqual([]);
      },
    );

    it('NOT_AUTHORIZED without the health linkage; ONE_CODE_NOT_ENABLED off the pilot lines', async () => {
      const unlinked = await rider(gw.url, authority.url, {
        ...healthy(clock.now()),
        authorized: false,
      });
      expectReply(await rideScan(unlinked.riderId), 'see-staff', ['NOT_AUTHORIZED']);
      const r = await rider(gw.url, authority.url, healthy(clock.now()));
      expectReply(await rideScan(r.riderId, { stationId: NOT_PILOT }), 'see-staff', [
        'ONE_CODE_NOT_ENABLED',
      ]);
    });

    it('denies a forged code and an expired one', async () => {
      expectReply(await scan({ credential: { kind: 'ride-code', code: 'not-a-code' } }), 'deny', [
        'CODE_INVALID',
      ]);
      const r = await rider(gw.url, authority.url, healthy(clock.now()));
      const code = await rideCode(gw.url, r.riderId);
      clock.set(clock.now() + 10 * MINUTE);
      expectReply(await scan({ credential: { kind: 'ride-code', code } }), 'deny', [
        'CODE_EXPIRED',
      ]);
    });

    it('a retried scan gets the same reply and records one check-in and one clearance', async () => {
      const r = await rider(gw.url, authority.url, healthy(clock.now()));
      const input: ScanInput = {
        tapId: uniqueId('retry-'),
        credential: { kind: 'ride-code', code: await rideCode(gw.url, r.riderId) },
      };
      const [a, b] = await Promise.all([scan(input), scan(input)]);
      expect(b).toEqual(a);
      expect(await scan(input)).toEqual(a);
      const n = await db.query('SELECT count(*)::int AS n FROM check_ins WHERE tap_id = $1', [
        input.tapId,
      ]);
      expect(n.rows[0].n).toBe(1);
      expect(await clearances(r.riderId)).toHaveLength(1);
    });
  });

  describe('day tickets: checkpoint first, then the gate within the window', () => {
    it('opens at exactly clearance + window - 1 ms, and not at clearance + window', async () => {
      const r = await rider(gw.url, authority.url, healthy(clock.now()));
      const ticketNo = await dayTicket(r.riderId);
      expectReply(await ticketTap(ticketNo), 'see-staff', ['VENUE_CHECK_REQUIRED']);
      const clearedAt = clock.now();
      expectReply(await rideScan(r.riderId), 'open', []);
      clock.set(clearedAt + WINDOW);
      expectReply(await ticketTap(ticketNo), 'see-staff', ['VENUE_CHECK_REQUIRED']);
      clock.set(clearedAt + WINDOW - 1);
      const opened = await ticketTap(ticketNo);
      expectReply(opened, 'open', []);
      const row = await db.query('SELECT rider_id, medium FROM check_ins WHERE id = $1', [
        opened.checkInId,
      ]);
      expect(row.rows).toEqual([{ rider_id: r.riderId, medium: `day-ticket:${ticketNo}` }]);
      // The ticket is now inside: anti-passback applies to it, and its exit opens.
      expectReply(await ticketTap(ticketNo), 'deny', ['ALREADY_INSIDE']);
      expectReply(await ticketTap(ticketNo, PILOT, 'exit'), 'open', []);
    });

    it('a clearance counts only at its own station', async () => {
      const r = await rider(gw.url, authority.url, healthy(clock.now()));
      const ticketNo = await dayTicket(r.riderId);
      expectReply(await rideScan(r.riderId), 'open', []);
      expectReply(await ticketTap(ticketNo, OTHER_PILOT), 'see-staff', ['VENUE_CHECK_REQUIRED']);
      expectReply(await ticketTap(ticketNo, PILOT), 'open', []);
    });

    it('a failed scan clears nothing; a ticket outside its validity is not cleared', async () => {
      const r = await rider(gw.url, authority.url, { negativeTestsAt: [clock.now() - 80 * HOUR] });
      const ticketNo = await dayTicket(r.riderId);
      expectReply(await rideScan(r.riderId), 'see-staff', ['TEST_EXPIRED']);
      expectReply(await ticketTap(ticketNo), 'see-staff', ['VENUE_CHECK_REQUIRED']);

      const r2 = await rider(gw.url, authority.url, healthy(clock.now()));
      const expired = await dayTicket(r2.riderId, clock.now() - 25 * HOUR);
      expectReply(await rideScan(r2.riderId), 'open', []);
      expectReply(await ticketTap(expired), 'see-staff', ['VENUE_CHECK_REQUIRED']);
    });
  });

  describe("digital sentinel (SEC01): ID cards, relatives' codes and health codes", () => {
    it('an ID card of a healthy person passes and is checked in by keyed hash only', async () => {
      const idNumber = await person(authority.url, healthy(clock.now()));
      const reply = await scan({ credential: { kind: 'id-card', idNumber } });
      expectReply(reply, 'open', []);
      const row = await db.query<{ rider_id: string | null; medium: string; person_key: Buffer }>(
        'SELECT rider_id, medium, person_key FROM check_ins WHERE id = $1',
        [reply.checkInId],
      );
      expect(row.rows[0].rider_id).toBeNull();
      expect(row.rows[0].medium).toBe('id-card');
      expect(row.rows[0].person_key.equals(hashIdNumber(gw.config.idHashKey, idNumber))).toBe(true);
      expect(JSON.stringify(row.rows)).not.toContain(idNumber);
      expect(gw.logs.text).not.toContain(idNumber);
    });

    it('an ID card: health reasons, and the venue procedure for someone the authority does not know', async () => {
      const noTest = await person(authority.url, { colour: 'green' });
      expectReply(await scan({ credential: { kind: 'id-card', idNumber: noTest } }), 'see-staff', [
        'TEST_MISSING',
      ]);
      const red = await person(authority.url, {
        colour: 'red',
        negativeTestsAt: [clock.now() - HOUR],
      });
      expectReply(
        await scan({ credential: { kind: 'id-card', idNumber: red }, temperatureC: 38 }),
        'see-staff',
        ['HEALTH_CODE_NOT_GREEN', 'TEMPERATURE_HIGH'],
      );
      expectReply(
        await scan({ credential: { kind: 'id-card', idNumber: '310101199001019999' } }),
        'see-staff',
        ['VENUE_CHECK_REQUIRED'],
      );
    });

    it("a relative's code checks the dependant in, by keyed hash", async () => {
      const guardian = await person(authority.url, healthy(clock.now()));
      const child = await person(authority.url, { ...healthy(clock.now()), birthYear: 2016 });
      const res = await authorityApi()
        .post(`/v1/persons/${guardian}/relatives`)
        .set('x-api-key', AUTHORITY_KEY)
        .send({ dependantIdNumber: child })
        .expect(201);
      const code = (res.body as { relativeCode: string }).relativeCode;
      const reply = await scan({ credential: { kind: 'relative-code', code } });
      expectReply(reply, 'open', []);
      const row = await db.query<{ medium: string; person_key: Buffer }>(
        'SELECT medium, person_key FROM check_ins WHERE id = $1',
        [reply.checkInId],
      );
      expect(row.rows[0].medium).toBe('relative-code');
      expect(row.rows[0].person_key.equals(hashIdNumber(gw.config.idHashKey, child))).toBe(true);
      expectReply(
        await scan({ credential: { kind: 'relative-code', code: 'REL-unknown' } }),
        'deny',
        ['CODE_INVALID'],
      );
    });

    it('an offline code is never accepted by a machine', async () => {
      const elderly = await person(authority.url, { ...healthy(clock.now()), birthYear: 1950 });
      const res = await authorityApi()
        .post(`/v1/persons/${elderly}/offline-codes`)
        .set('x-api-key', AUTHORITY_KEY)
        .expect(201);
      const code = (res.body as { code: string }).code;
      expectReply(await scan({ credential: { kind: 'offline-code', code } }), 'see-staff', [
        'OFFLINE_CODE_NEEDS_STAFF',
      ]);
      expectReply(
        await tap(nc, {
          stationId: PILOT,
          gateId: uniqueId('G'),
          credential: { kind: 'offline-code', code },
        }),
        'see-staff',
        ['OFFLINE_CODE_NEEDS_STAFF'],
      );
    });

    it('a checkpoint that is not a sentinel sends ID cards and relatives codes to staff, and asks the authority nothing', async () => {
      const idNumber = await person(authority.url, healthy(clock.now()));
      const asked = countAuthorityRequests(authority);
      try {
        for (const credential of [
          { kind: 'id-card' as const, idNumber },
          { kind: 'relative-code' as const, code: 'REL-anything' },
          { kind: 'health-code' as const, code: 'HC-anything' },
        ]) {
          const reply = await scan({ deviceId: 'SEC02', credential });
          expectReply(reply, 'see-staff', ['VENUE_CHECK_REQUIRED']);
          expect(reply.checkInId).toBeNull();
        }
        expect(asked.take()).toEqual([]);
        // The same ID card at the sentinel is read (and the count sees it).
        expectReply(await scan({ credential: { kind: 'id-card', idNumber } }), 'open', []);
        expect(asked.take()).not.toEqual([]);
      } finally {
        asked.stop();
      }
    });

    it('a sentinel works at a station off the one-code lines, where a ride code does not', async () => {
      const idNumber = await person(authority.url, healthy(clock.now()));
      const reply = await scan({
        stationId: NOT_PILOT,
        deviceId: 'SEN05',
        credential: { kind: 'id-card', idNumber },
      });
      expectReply(reply, 'open', []);
      const row = await db.query<{ station_id: string; gate_id: string }>(
        'SELECT station_id, gate_id FROM check_ins WHERE id = $1',
        [reply.checkInId],
      );
      expect(row.rows).toEqual([{ station_id: NOT_PILOT, gate_id: 'SEN05' }]);
      const red = await person(authority.url, { colour: 'red', negativeTestsAt: [clock.now()] });
      expectReply(
        await scan({
          stationId: NOT_PILOT,
          deviceId: 'SEN05',
          credential: { kind: 'id-card', idNumber: red },
        }),
        'see-staff',
        ['HEALTH_CODE_NOT_GREEN'],
      );
      const r = await rider(gw.url, authority.url, healthy(clock.now()));
      expectReply(
        await rideScan(r.riderId, { stationId: NOT_PILOT, deviceId: 'SEN05' }),
        'see-staff',
        ['ONE_CODE_NOT_ENABLED'],
      );
    });

    it('a device the operator un-marks stops reading ID cards at once', async () => {
      const deviceId = uniqueId('SEN');
      const mark = async (sentinel: boolean) =>
        request(gw.url)
          .put(`/network/stations/${PILOT}/devices/${deviceId}`)
          .set(await bearer({ sub: 'op-checkpoint', role: 'operator' }))
          .send({ sentinel })
          .expect(200);
      const idNumber = await person(authority.url, healthy(clock.now()));
      const card = { kind: 'id-card' as const, idNumber };
      expectReply(await scan({ deviceId, credential: card }), 'see-staff', [
        'VENUE_CHECK_REQUIRED',
      ]);
      await mark(true);
      expectReply(await scan({ deviceId, credential: card }), 'open', []);
      await mark(false);
      expectReply(await scan({ deviceId, credential: card }), 'see-staff', [
        'VENUE_CHECK_REQUIRED',
      ]);
    });

    it("a sentinel reads a person's own 随申码: checked in by keyed hash; refreshed, expired or forged codes are refused", async () => {
      const api = authorityApi();
      const issue = async (idNumber: string) =>
        (
          (
            await api
              .post(`/v1/persons/${idNumber}/health-codes`)
              .set('x-api-key', AUTHORITY_KEY)
              .expect(201)
          ).body as { code: string }
        ).code;
      const idNumber = await person(authority.url, healthy(clock.now()));
      const code = await issue(idNumber);
      const reply = await scan({ credential: { kind: 'health-code', code } });
      expectReply(reply, 'open', []);
      const row = await db.query<{ medium: string; person_key: Buffer; rider_id: string | null }>(
        'SELECT medium, person_key, rider_id FROM check_ins WHERE id = $1',
        [reply.checkInId],
      );
      expect(row.rows).toEqual([
        {
          medium: 'health-code',
          person_key: hashIdNumber(gw.config.idHashKey, idNumber),
          rider_id: null,
        },
      ]);
      // The status behind it decides, as for an ID card.
      const yellow = await person(authority.url, {
        colour: 'yellow',
        negativeTestsAt: [clock.now() - HOUR],
      });
      expectReply(
        await scan({ credential: { kind: 'health-code', code: await issue(yellow) } }),
        'see-staff',
        ['HEALTH_CODE_NOT_GREEN'],
      );
      // The app refreshed: the code shown before is no longer the person's.
      const fresh = await issue(idNumber);
      expectReply(await scan({ credential: { kind: 'health-code', code } }), 'deny', [
        'CODE_INVALID',
      ]);
      expectReply(await scan({ credential: { kind: 'health-code', code: 'HC-forged' } }), 'deny', [
        'CODE_INVALID',
      ]);
      // A minute later (the authority's clock) it has expired.
      await api
        .put('/v1/admin/clock')
        .set('x-api-key', AUTHORITY_KEY)
        .send({ offsetMs: 60_000 })
        .expect(204);
      try {
        expectReply(await scan({ credential: { kind: 'health-code', code: fresh } }), 'deny', [
          'CODE_EXPIRED',
        ]);
      } finally {
        await api.delete('/v1/admin/clock').set('x-api-key', AUTHORITY_KEY).expect(204);
      }
      // Off the one-code lines too; and a plain checkpoint sends it to staff.
      expectReply(
        await scan({
          stationId: NOT_PILOT,
          deviceId: 'SEN05',
          credential: { kind: 'health-code', code: await issue(idNumber) },
        }),
        'open',
        [],
      );
      expectReply(
        await scan({
          deviceId: 'SEC02',
          credential: { kind: 'health-code', code: await issue(idNumber) },
        }),
        'see-staff',
        ['VENUE_CHECK_REQUIRED'],
      );
    });

    it('the health service down: HEALTH_SERVICE_UNAVAILABLE, nothing recorded', async () => {
      const idNumber = await person(authority.url, healthy(clock.now()));
      await authorityApi()
        .put('/v1/admin/faults')
        .set('x-api-key', AUTHORITY_KEY)
        .send({ delayMs: 0, unavailable: true })
        .expect(204);
      try {
        const reply = await scan({ credential: { kind: 'id-card', idNumber } });
        expectReply(reply, 'see-staff', ['HEALTH_SERVICE_UNAVAILABLE']);
        expect(reply.checkInId).toBeNull();
      } finally {
        await authorityApi().delete('/v1/admin/faults').set('x-api-key', AUTHORITY_KEY).expect(204);
      }
    });
  });

  describe('malformed scans', () => {
    const body = (overrides: Record<string, unknown>) => ({
      v: 1,
      tapId: 'scan-00000001',
      stationId: PILOT,
      deviceId: 'SEC01',
      temperatureC: 36.5,
      credential: { kind: 'id-card', idNumber: '310101199001011234' },
      ...overrides,
    });
    it.each([
      ['a deviceId that disagrees with the subject', body({ deviceId: 'SEC02' }), 'scan-00000001'],
      [
        'a gate credential at a checkpoint',
        body({ credential: { kind: 'card', cardNo: 'C1' } }),
        'scan-00000001',
      ],
      [
        'a bad ID number',
        body({ credential: { kind: 'id-card', idNumber: '12345' } }),
        'scan-00000001',
      ],
      ['not JSON', '{"v":1', undefined],
    ])('%s gets MALFORMED_REQUEST', async (_n, payload, tapId) => {
      const reply = await rawRequest(nc, `metro.checkpoint.${PILOT}.SEC01.scan`, payload);
      expectReply(reply, 'deny', ['MALFORMED_REQUEST']);
      expect(reply.tapId).toBe(tapId);
    });
  });
});
