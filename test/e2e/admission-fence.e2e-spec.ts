import { randomInt } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { Client } from 'pg';
import type { GateReply } from '@app/protocol';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import request from 'supertest';
import { asRider, healthy, rideCode, rider } from '../support/factories';
import { holdCommits } from '../support/held-commit';
import {
  bearer,
  natsClient,
  startAuthority,
  startTestGateway,
  tap,
  testDatabaseUrl,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';

const PILOT = 'S0312';
const DEADLINE_MS = 600;

const until = async (what: () => Promise<boolean>, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
};

/**
 * A COMMIT that PostgreSQL holds past the tap's deadline: the gate is told not to open, and
 * nothing the tap would have written may then lock its rider out or stand as a check-in.
 */
describe('a check-in commit held past the tap deadline', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let nc: NatsConnection;
  let db: Client;
  const replies: GateReply[] = [];
  const gates: string[] = [];

  beforeAll(async () => {
    authority = await startAuthority();
    gw = await startTestGateway(authority.url, { env: { TAP_DEADLINE_MS: String(DEADLINE_MS) } });
    nc = await natsClient();
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await nc?.drain();
    await gw?.close();
    await authority?.close();
  });

  const entry = async (gateId: string, code: string, tapId = uniqueId('tap')) => {
    const started = Date.now();
    const r = await tap(nc, {
      stationId: PILOT,
      gateId,
      tapId,
      credential: { kind: 'ride-code', code },
    });
    replies.push(r);
    return { reply: r, tapId, waited: Date.now() - started };
  };

  const state = async (riderId: string, gateId: string, tapId: string) => {
    const rows = await db.query<{ voided: boolean; reason: string | null }>(
      `SELECT voided_at IS NOT NULL AS voided, void_reason AS reason FROM check_ins
        WHERE station_id = $1 AND gate_id = $2 AND tap_id = $3`,
      [PILOT, gateId, tapId],
    );
    const inside = await db.query<{ inside: boolean }>(
      'SELECT inside FROM journeys WHERE traveller = $1',
      [`rider:${riderId}`],
    );
    const receipt = await db.query(
      'SELECT 1 FROM tap_receipts WHERE gate_id = $1 AND tap_id = $2',
      [gateId, tapId],
    );
    return {
      checkIns: rows.rows,
      inside: inside.rows[0]?.inside ?? false,
      receipt: receipt.rowCount === 1,
    };
  };

  it('fenced: the held commit is refused at COMMIT, the gate was told not to open, the next tap opens', async () => {
    const r = await rider(gw.url, authority.url, healthy(Date.now()));
    const code = await rideCode(gw.url, r.riderId);
    const gateId = uniqueId('G');
    gates.push(gateId);
    const held = await holdCommits(testDatabaseUrl(), gateId);
    try {
      const first = await entry(gateId, code);
      expect({ outcome: first.reply.outcome, reasons: first.reply.reasons }).toEqual({
        outcome: 'see-staff',
        reasons: ['RECORD_UNAVAILABLE'],
      });
      expect(first.waited).toBeLessThan(DEADLINE_MS + 500);
      expect(await held.waiting()).toBe(1); // the commit was really held, not merely slow
      await held.release();
      await until(async () => (await held.waiting()) === 0);
      // The fence ran after the hold: nothing of the tap committed.
      await until(async () => {
        const rows = await db.query(
          `SELECT 1 FROM pg_stat_activity WHERE state <> 'idle' AND query LIKE '%admit_taps%'
             AND pid <> pg_backend_pid()`,
        );
        return rows.rowCount === 0;
      });
      expect(await state(r.riderId, gateId, first.tapId)).toEqual({
        checkIns: [],
        inside: false,
        receipt: false,
      });
    } finally {
      await held.remove();
    }
    // The rider taps again with the same code: it opens.
    const again = await entry(gateId, code);
    expect(again.reply.outcome).toBe('open');
  });

  it('late: a commit that passed the fence but landed after the reply is voided, the next tap opens', async () => {
    const r = await rider(gw.url, authority.url, healthy(Date.now()));
    const code = await rideCode(gw.url, r.riderId);
    const gateId = uniqueId('G');
    gates.push(gateId);
    // A stall after the fence (a slow disk, a waiting synchronous standby): a deferred trigger
    // that sorts after the fence waits on a lock this test holds.
    const key = randomInt(1, 2 ** 31);
    const holder = new Client({ connectionString: testDatabaseUrl() });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1)', [key]);
    await holder.query(`CREATE OR REPLACE FUNCTION test_stall_after_fence() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM set_config('lock_timeout', '0', true);
        PERFORM pg_advisory_xact_lock_shared(TG_ARGV[0]::bigint);
        RETURN NULL;
      END $$`);
    const trigger = `zzz_stall_${gateId}`;
    await holder.query(`CREATE CONSTRAINT TRIGGER "${trigger}" AFTER INSERT ON tap_receipts
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.gate_id = '${gateId}')
      EXECUTE FUNCTION test_stall_after_fence('${key}')`);
    let tapId: string;
    try {
      const first = await entry(gateId, code);
      tapId = first.tapId;
      expect(first.reply.outcome).toBe('see-staff');
      expect(first.reply.reasons).toEqual(['RECORD_UNAVAILABLE']);
      expect(first.waited).toBeLessThan(DEADLINE_MS + 500);
      await holder.query('SELECT pg_advisory_unlock($1)', [key]);
      // The commit lands now; the gateway, which answered first, voids what it left.
      await until(async () => (await state(r.riderId, gateId, tapId)).checkIns.length === 1);
      await until(async () => (await state(r.riderId, gateId, tapId)).checkIns[0].voided);
    } finally {
      await holder.query('SELECT pg_advisory_unlock_all()');
      await holder.query(`DROP TRIGGER IF EXISTS "${trigger}" ON tap_receipts`);
      await holder.end();
    }
    expect(await state(r.riderId, gateId, tapId)).toEqual({
      checkIns: [{ voided: true, reason: 'committed after its tap was answered' }],
      inside: false,
      receipt: false,
    });
    // A void row is no check-in to anyone who reads them: not the rider, not a trace.
    const mine = await request(gw.url)
      .get(`/riders/${r.riderId}/check-ins`)
      .set(await asRider(r.riderId))
      .expect(200);
    expect(mine.body.checkIns).toEqual([]);
    const traced = await request(gw.url)
      .post('/checkins/trace')
      .set(await bearer({ sub: 'officer-fence', role: 'authority' }))
      .send({
        idNumber: r.idNumber,
        from: new Date(Date.now() - 60_000).toISOString(),
        to: new Date(Date.now() + 60_000).toISOString(),
      })
      .expect(200);
    expect(traced.body.checkIns).toEqual([]);
    // Not locked out: the same ride code (not spent) opens the next tap, and so does the retry.
    const retry = await entry(gateId, code, tapId);
    expect(retry.reply.outcome).toBe('open');
    expect(retry.reply.checkInId).not.toBeNull();
  });

  it('every check-in row of these gates matches an open reply, or is void with a reason', async () => {
    const opened = new Map(
      replies.filter((r) => r.outcome === 'open').map((r) => [r.tapId, r.checkInId]),
    );
    const rows = await db.query<{
      id: string;
      tap_id: string;
      voided_at: Date | null;
      void_reason: string | null;
    }>(
      'SELECT id, tap_id, voided_at, void_reason FROM check_ins WHERE station_id = $1 AND gate_id = ANY($2)',
      [PILOT, gates],
    );
    expect(rows.rowCount).toBeGreaterThanOrEqual(3);
    for (const row of rows.rows) {
      if (row.voided_at === null) expect(opened.get(row.tap_id)).toBe(row.id);
      else expect(row.void_reason).toBeTruthy();
    }
    expect(
      [...opened.values()].every((id) => rows.rows.some((r) => r.id === id && !r.voided_at)),
    ).toBe(true);
  });
});
