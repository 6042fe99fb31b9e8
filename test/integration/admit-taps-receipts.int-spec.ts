import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import {
  AdmissionsRepository,
  type Admission,
} from '../../apps/gateway/src/admissions/admissions.repository';
import { admissionsOnTestDatabase, riderEntry } from '../support/admissions';
import { uniqueId } from '../support/db';

/** Receipts in admit_taps: bound to their request, per device kind, created with their result. */
describe('admit_taps receipts', () => {
  let pool: Pool;
  let repo: AdmissionsRepository;
  const station = uniqueId('S');
  const passback = 3_600_000;

  beforeAll(async () => {
    ({ pool, repo } = await admissionsOnTestDatabase());
  });

  afterAll(async () => {
    await pool?.end();
  });

  const entry = (over: Partial<Admission> = {}): Admission =>
    riderEntry(station, { fingerprint: 'request-a', ...over });

  const checkIns = async (tapId: string) =>
    (
      await pool.query<{ id: string }>(
        'SELECT id FROM check_ins WHERE station_id = $1 AND tap_id = $2 ORDER BY id',
        [station, tapId],
      )
    ).rows.map((r) => r.id);

  it('the same tapId with the same request gets the first result; with another, mismatch', async () => {
    const first = entry();
    expect(await repo.commit([first], passback)).toEqual([{ kind: 'admitted' }]);
    const same = { ...first, checkInId: randomUUID(), decidedAt: first.decidedAt + 500 };
    const [again] = await repo.commit([same], passback);
    expect(again.kind).toBe('duplicate');
    expect(again.kind === 'duplicate' && again.first).toMatchObject({
      kind: 'admitted',
      checkInId: first.checkInId,
    });
    // Another rider's code under the same tapId: refused, never the first tap's reply.
    const other = entry({ tapId: first.tapId, fingerprint: 'request-b' });
    expect(await repo.commit([other], passback)).toEqual([{ kind: 'mismatch' }]);
    expect(await checkIns(first.tapId)).toEqual([first.checkInId]);
    // And the other rider's code was not spent by it.
    expect(await repo.commit([entry({ jti: other.jti })], passback)).toEqual([
      { kind: 'admitted' },
    ]);
  });

  it('a checkpoint device and a gate with the same id and tapId are two taps', async () => {
    const tapId = uniqueId('tap');
    const atGate = entry({ tapId });
    const atCheckpoint = entry({
      tapId,
      jti: null,
      jtiExpiresAt: null,
      venueOnly: true,
      device: 'checkpoint',
      fingerprint: 'request-c',
    });
    expect(await repo.commit([atGate, atCheckpoint], passback)).toEqual([
      { kind: 'admitted' },
      { kind: 'admitted' },
    ]);
    expect(await checkIns(tapId)).toEqual([atGate.checkInId, atCheckpoint.checkInId].sort());
  });

  it('each receipt is created with its result: no receipt is ever rewritten', async () => {
    const before = await pool.query<{ n: string }>(
      `SELECT n_tup_upd AS n FROM pg_stat_user_tables WHERE relname = 'tap_receipts'`,
    );
    const a = entry();
    const replay = entry({ jti: a.jti });
    const inside = entry({ traveller: a.traveller });
    await repo.commit([a], passback);
    expect((await repo.commit([replay, inside], passback)).map((r) => r.kind)).toEqual([
      'replayed',
      'already-inside',
    ]);
    const results = await pool.query<{ tap_id: string; result: string }>(
      'SELECT tap_id, result FROM tap_receipts WHERE station_id = $1 AND tap_id = ANY($2)',
      [station, [a.tapId, replay.tapId, inside.tapId]],
    );
    expect(Object.fromEntries(results.rows.map((r) => [r.tap_id, r.result]))).toEqual({
      [a.tapId]: 'admitted',
      [replay.tapId]: 'replayed',
      [inside.tapId]: 'already-inside',
    });
    // Statistics lag a little: compare after forcing them out.
    await pool.query('SELECT pg_stat_force_next_flush()');
    const after = await pool.query<{ n: string }>(
      `SELECT n_tup_upd AS n FROM pg_stat_user_tables WHERE relname = 'tap_receipts'`,
    );
    expect(Number(after.rows[0].n)).toBe(Number(before.rows[0].n));
  });

  it('a receipt past its deadline never commits (the fence), and leaves nothing behind', async () => {
    const late = entry();
    await expect(repo.commit([late], passback, [-1])).rejects.toMatchObject({ code: '57014' });
    expect(await checkIns(late.tapId)).toEqual([]);
    expect(await repo.commit([late], passback)).toEqual([{ kind: 'admitted' }]);
  });
});
