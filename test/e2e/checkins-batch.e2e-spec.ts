import type { NatsConnection } from 'nats';
import { Client } from 'pg';
import request from 'supertest';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { healthy, rideCode, rider } from '../support/factories';
import { tap, uniqueId, type GatewayUnderTest, startStack, type TestStack } from '../support/stack';

const PILOT = 'S0312';
const TAPS = 40;

describe('group commit: taps arriving together share one transaction', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let nc: NatsConnection;
  let db: Client;
  let stack: TestStack;

  beforeAll(async () => {
    ({ authority, gw, nc, db } = stack = await startStack());
  });

  afterAll(() => stack.close());

  /** The gateway's own count of check-in transactions and of the taps they carried. */
  async function committed(): Promise<{ batches: number; taps: number }> {
    const text = (await request(gw.adminUrl).get('/metrics').expect(200)).text;
    const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
    return {
      batches: value(/^gateway_checkin_batches_total\{result="committed"\} (\d+)/m),
      taps: value(/^gateway_checkin_batch_size_sum (\d+)/m),
    };
  }

  it(`commits ${TAPS} simultaneous entries in a few transactions, each with its row`, async () => {
    const riders = await Promise.all(
      Array.from({ length: TAPS }, () => rider(gw.url, authority.url, healthy(Date.now()))),
    );
    const codes = await Promise.all(riders.map((r) => rideCode(gw.url, r.riderId)));
    const gateId = uniqueId('G');
    const before = await committed();

    const replies = await Promise.all(
      codes.map((code) =>
        tap(nc, { stationId: PILOT, gateId, credential: { kind: 'ride-code', code } }),
      ),
    );

    expect(replies.map((r) => r.outcome)).toEqual(Array(TAPS).fill('open'));
    const after = await committed();
    expect(after.taps - before.taps).toBe(TAPS);
    // One transaction per tap would be 40; the window and the concurrent-commit cap keep it
    // to a handful even on a busy machine.
    expect(after.batches - before.batches).toBeGreaterThanOrEqual(1);
    expect(after.batches - before.batches).toBeLessThanOrEqual(TAPS / 4);
    const rows = await db.query<{ id: string }>(
      'SELECT id FROM check_ins WHERE station_id = $1 AND gate_id = $2',
      [PILOT, gateId],
    );
    expect(rows.rows.map((r) => r.id).sort()).toEqual(replies.map((r) => r.checkInId).sort());
  });
});
