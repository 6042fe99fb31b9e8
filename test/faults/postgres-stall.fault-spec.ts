import type { NatsConnection } from 'nats';
import { holdCommits } from '../support/held-commit';
import { FaultStack, rssMb, sleep, type RunningService } from './support/harness';
import { Gates, again, figures, gotUsual, planTaps, type TapRecord } from './support/gates';
import { report } from './support/report';

const DEADLINE_MS = 900;
/** What a loaded 2-core machine adds between the gateway's answer and the gate reading it. */
const MARGIN_MS = 400;
const STALL_MS = 5_000;

/**
 * PostgreSQL that stops answering without a reset (a frozen host, a failover without a TCP RST)
 * and a COMMIT held past the deadline: every tap is answered within TAP_DEADLINE_MS of its
 * arrival, nothing a refused tap began is left to lock its rider out, and no check-in stands
 * without an `open`.
 */
describe('PostgreSQL stalls under steady load', () => {
  let stack: FaultStack;
  let gw: RunningService;
  let nc: NatsConnection;

  beforeAll(async () => {
    ({ stack, gw, nc } = await FaultStack.withOneGateway(1_600, {
      TAP_DEADLINE_MS: String(DEADLINE_MS),
    }));
  }, 180_000);

  afterAll(async () => {
    await stack?.dispose();
  });

  const LOCKOUT = ['CODE_REPLAYED', 'ALREADY_INSIDE'];

  /**
   * Riders refused during the outage tap again with the same code, as riders do. A health
   * service slow to answer on this loaded machine may send one to staff again
   * (HEALTH_SERVICE_UNAVAILABLE): that rider taps once more, after the breaker's pause. What must
   * never come back is a lockout: the code taken as replayed, or the rider as already inside.
   */
  const tapAgain = async (gates: Gates, refused: TapRecord[], prefix: string) => {
    const rounds: TapRecord[] = [];
    let pending = refused;
    for (let round = 0; round < 4 && pending.length > 0; round++) {
      if (round > 0) await sleep(2_500);
      const got = await Promise.all(
        pending.map((r, i) => gates.send(again(r, `${prefix}-again${round}-${i}`))),
      );
      rounds.push(...got);
      pending = got.filter(
        (r) =>
          r.reply?.outcome !== 'open' && r.reply?.reasons.join() === 'HEALTH_SERVICE_UNAVAILABLE',
      );
    }
    const lastOf = new Map<string, TapRecord>();
    for (const r of rounds) lastOf.set(r.riderId, r);
    return { all: rounds, last: [...lastOf.values()] };
  };

  it('10. frozen 5 s (SIGSTOP postmaster and backends): every tap answered within the deadline, memory bounded, refused riders open next tap', async () => {
    const prefix = `st${Date.now().toString(36)}`;
    const taps = await planTaps(stack.codec, stack.take(1_000), prefix);
    // The gate waits longer than the deadline: each tap is answered by the gateway, not retried.
    const gates = new Gates(nc, DEADLINE_MS * 4, 60_000);
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(rssMb(gw.proc.pid)), 200);
    const baseline = rssMb(gw.proc.pid);
    const run = gates.drive(taps, 100);
    await sleep(3_000);
    const frozenAt = performance.now();
    const pids = stack.pg.freeze();
    await sleep(STALL_MS);
    stack.pg.unfreeze(pids);
    const thawedAt = performance.now();
    const records = await run;
    clearInterval(sampler);

    const during = records.filter((r) => r.sentAt >= frozenAt && r.sentAt < thawedAt);
    const refused = records.filter((r) => !gotUsual(r) && r.profile === 'healthy');
    const { all: again10, last: retried } = await tapAgain(gates, refused, prefix);
    const f = await figures(
      '10. PostgreSQL frozen 5 s',
      [...records, ...again10],
      stack.pool,
      prefix,
    );
    const peak = Math.max(...rss);
    f.note =
      `${during.length} taps sent while frozen, ${during.filter((r) => r.reply?.outcome === 'open').length} opened; ` +
      `longest first answer ${Math.round(Math.max(...records.map((r) => r.answerMs)))} ms ` +
      `(deadline ${DEADLINE_MS} ms); ${refused.length} refused healthy riders tapped again: ` +
      `${retried.filter((r) => r.reply?.outcome === 'open').length} opened; ` +
      `gateway RSS ${Math.round(baseline)} -> peak ${Math.round(peak)} MB`;
    report(f);

    expect(gw.proc.exited).toBeNull();
    expect(during.length).toBeGreaterThan(300);
    expect(f.answered).toBe(f.sent);
    // Answered by the gateway within its deadline, never by a gate giving up and retrying.
    expect(records.filter((r) => r.attempts > 1)).toEqual([]);
    expect(Math.max(...records.map((r) => r.answerMs))).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    expect(during.filter((r) => r.reply?.outcome === 'open')).toEqual([]);
    expect(refused.length).toBeGreaterThan(0);
    expect(again10.filter((r) => r.reply?.reasons.some((x) => LOCKOUT.includes(x)))).toEqual([]);
    expect(retried.filter((r) => r.reply?.outcome !== 'open')).toEqual([]);
    expect(f.openWithoutRow).toBe(0);
    expect(f.orphans).toBe(0);
    expect(f.duplicates).toBe(0);
    expect(peak - baseline).toBeLessThan(150);
  }, 240_000);

  it('11. a COMMIT held past the deadline, then released: the gate was told not to open, the rider opens next tap, no orphan', async () => {
    const prefix = `hc${Date.now().toString(36)}`;
    const taps = await planTaps(stack.codec, stack.take(480), prefix);
    const gates = new Gates(nc, DEADLINE_MS * 4, 60_000);
    // Every commit that writes a receipt of gate G01 waits at COMMIT until released.
    const held = await holdCommits(stack.dbUrl, 'G01');
    let heldSeen = 0;
    let records: TapRecord[];
    try {
      const run = gates.drive(taps, 120);
      await sleep(2_000);
      heldSeen = await held.waiting();
      records = await run;
      await held.release();
    } finally {
      await held.remove();
    }
    const atHeldGate = records.filter((r) => r.gateId === 'G01');
    const refused = records.filter((r) => !gotUsual(r) && r.profile === 'healthy');
    const { all: again11, last: retried } = await tapAgain(gates, refused, prefix);
    const f = await figures(
      '11. COMMIT held past the deadline',
      [...records, ...again11],
      stack.pool,
      prefix,
    );
    f.note =
      `${heldSeen} commits held at once; gate G01: ${atHeldGate.length} taps, ` +
      `${atHeldGate.filter((r) => r.reply?.outcome === 'open').length} opened; ` +
      `${refused.length} refused healthy riders tapped again: ` +
      `${retried.filter((r) => r.reply?.outcome === 'open').length} opened`;
    report(f);

    expect(heldSeen).toBeGreaterThan(0);
    expect(f.answered).toBe(f.sent);
    expect(records.filter((r) => r.attempts > 1)).toEqual([]);
    expect(Math.max(...records.map((r) => r.answerMs))).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    expect(atHeldGate.filter((r) => r.reply?.outcome === 'open')).toEqual([]);
    expect(again11.filter((r) => r.reply?.reasons.some((x) => LOCKOUT.includes(x)))).toEqual([]);
    expect(retried.filter((r) => r.reply?.outcome !== 'open')).toEqual([]);
    expect(f.openWithoutRow).toBe(0);
    expect(f.orphans).toBe(0);
    expect(f.duplicates).toBe(0);
    const voided = await stack.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM check_ins WHERE tap_id LIKE $1 AND voided_at IS NOT NULL AND void_reason IS NULL`,
      [`${prefix}%`],
    );
    expect(voided.rows[0].n).toBe(0);
  }, 240_000);
});
