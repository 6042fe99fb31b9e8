import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import {
  AdmissionsRepository,
  type Admission,
} from '../../apps/gateway/src/admissions/admissions.repository';
import { admissionsOnTestDatabase, riderEntry } from '../support/admissions';
import { uniqueId } from '../support/db';

/** Staff passes in admit_taps: spent by the transaction that records the tap they open. */
describe('admit_taps staff passes', () => {
  let pool: Pool;
  let repo: AdmissionsRepository;
  const passback = 3_600_000;

  beforeAll(async () => {
    ({ pool, repo } = await admissionsOnTestDatabase());
  });

  afterAll(async () => {
    await pool?.end();
  });

  /** A pass issued at the desk on a verification about `person` (a keyed hash), if any. */
  const issue = async (
    stationId: string,
    boundTo: string,
    person: Buffer | null = null,
  ): Promise<string> => {
    const verification = randomUUID();
    await pool.query(
      `INSERT INTO staff_verifications (id, at, station_id, staff_id, evidence, verdict, policy_version, person_key)
       VALUES ($1, now() - interval '1 minute', $2, 'staff-1', 'id-card', 'pass', 'sh-2022-01-01', $3)`,
      [verification, stationId, person],
    );
    const id = randomUUID();
    const kind = boundTo.split(':')[0];
    await pool.query(
      `INSERT INTO staff_passes (id, station_id, bound_kind, bound_to, expires_at, issued_by, issued_at, verification_id)
       VALUES ($1, $2, $3, $4, now() + interval '10 minutes', 'staff-1', now() - interval '1 minute', $5)`,
      [id, stationId, kind === 'rider' || kind === 'gate' ? kind : 'medium', boundTo, verification],
    );
    return id;
  };

  const pass = async (id: string) =>
    (
      await pool.query<{ used_tap: string | null }>(
        'SELECT used_tap FROM staff_passes WHERE id = $1',
        [id],
      )
    ).rows[0].used_tap;

  /** Everything a tap can leave behind: receipt, ride-code use, journey, check-in. */
  const traces = async (a: Admission) => {
    const q = async (sql: string, args: unknown[]) =>
      Number((await pool.query(sql, args)).rowCount);
    return {
      receipts: await q('SELECT 1 FROM tap_receipts WHERE station_id = $1 AND tap_id = $2', [
        a.stationId,
        a.tapId,
      ]),
      codes: await q('SELECT 1 FROM ride_code_uses WHERE jti = $1', [a.jti]),
      journeys: await q('SELECT 1 FROM journeys WHERE traveller = $1 AND inside', [a.traveller]),
      checkIns: await q(
        'SELECT 1 FROM check_ins WHERE station_id = $1 AND tap_id = $2 AND voided_at IS NULL',
        [a.stationId, a.tapId],
      ),
    };
  };
  const NOTHING = { receipts: 0, codes: 0, journeys: 0, checkIns: 0 };

  /** A rider's entry that their own staff pass is to open. */
  const passEntry = (stationId: string, over: Partial<Admission> = {}): Admission => {
    const riderId = randomUUID();
    return riderEntry(stationId, {
      traveller: `rider:${riderId}`,
      riderId,
      fingerprint: 'request-a',
      passFor: [`rider:${riderId}`],
      ...over,
    });
  };

  it('spends the pass with the tap it opens, and the check-in names whom its verification was about', async () => {
    const station = uniqueId('S');
    const a = passEntry(station);
    const person = randomBytes(32);
    const id = await issue(station, a.passFor?.[0] ?? '', person);
    expect(await repo.commit([a], passback)).toEqual([{ kind: 'admitted' }]);
    expect(await pass(id)).toBe(`G1/${a.tapId}`);
    const ci = await pool.query<{ person_key: Buffer }>(
      'SELECT person_key FROM check_ins WHERE id = $1',
      [a.checkInId],
    );
    expect(ci.rows[0].person_key.equals(person)).toBe(true);
  });

  it('no pass left: no-pass, and nothing at all is recorded, so a retry is decided afresh', async () => {
    const station = uniqueId('S');
    const a = passEntry(station);
    expect(await repo.commit([a], passback)).toEqual([{ kind: 'no-pass' }]);
    expect(await traces(a)).toEqual(NOTHING);
    // The same tap, decided again without a pass (staff cleared nothing): it is a new decision.
    expect(await repo.commit([{ ...a, passFor: undefined }], passback)).toEqual([
      { kind: 'admitted' },
    ]);
  });

  it('one pass, two taps of one batch: the first opens, the second finds it spent', async () => {
    const station = uniqueId('S');
    const id = await issue(station, 'gate:G1');
    const first = passEntry(station, { medium: 'card:C1', passFor: ['card:C1', 'gate:G1'] });
    const second = passEntry(station, { medium: 'card:C2', passFor: ['card:C2', 'gate:G1'] });
    expect(await repo.commit([first, second], passback)).toEqual([
      { kind: 'admitted' },
      { kind: 'no-pass' },
    ]);
    expect(await pass(id)).toBe(`G1/${first.tapId}`);
    expect(await traces(second)).toEqual(NOTHING);
  });

  it('prefers a pass bound to the medium over one bound to the gate', async () => {
    const station = uniqueId('S');
    const atGate = await issue(station, 'gate:G1');
    const forCard = await issue(station, 'card:C9');
    const a = passEntry(station, { medium: 'card:C9', passFor: ['card:C9', 'gate:G1'] });
    expect(await repo.commit([a], passback)).toEqual([{ kind: 'admitted' }]);
    expect([await pass(forCard), await pass(atGate)]).toEqual([`G1/${a.tapId}`, null]);
  });

  it('an entry that did not open (already inside) gives its pass back', async () => {
    const station = uniqueId('S');
    const inside = passEntry(station, { passFor: undefined });
    await repo.commit([inside], passback);
    const id = await issue(station, `rider:${inside.riderId}`);
    const again = passEntry(station, {
      traveller: inside.traveller,
      riderId: inside.riderId,
      passFor: [`rider:${inside.riderId}`],
    });
    expect(await repo.commit([again], passback)).toEqual([{ kind: 'already-inside' }]);
    expect(await pass(id)).toBeNull();
  });

  it('a commit the fence refuses leaves the pass unspent', async () => {
    const station = uniqueId('S');
    const a = passEntry(station);
    const id = await issue(station, a.passFor?.[0] ?? '');
    await expect(repo.commit([a], passback, [-1])).rejects.toMatchObject({ code: '57014' });
    expect(await pass(id)).toBeNull();
    expect(await traces(a)).toEqual(NOTHING);
  });

  it('a voided admission gives its pass back, and a later attempt of the tap keeps its own', async () => {
    const station = uniqueId('S');
    const a = passEntry(station);
    const id = await issue(station, a.passFor?.[0] ?? '');
    await repo.commit([a], passback);
    expect(await repo.voidAdmitted([a], 'answered-first')).toBe(1);
    expect(await pass(id)).toBeNull();
    expect(await traces(a)).toEqual(NOTHING);
    // The gate's retry spends it again; voiding the first attempt once more leaves that alone.
    const retry = { ...a, checkInId: randomUUID(), decidedAt: a.decidedAt + 1_000 };
    expect(await repo.commit([retry], passback)).toEqual([{ kind: 'admitted' }]);
    await repo.voidAdmitted([a], 'answered-first');
    expect(await pass(id)).toBe(`G1/${a.tapId}`);
  });
});
