import type { NatsConnection } from 'nats';
import { formatShanghai } from '@app/protocol';
import type { BenchRider } from '../../gate-sim/src/bench/seed';
import {
  AUTHORITY_KEY,
  FaultStack,
  setAuthorityFaults,
  sleep,
  type RunningService,
} from './support/harness';
import { CountingProxy } from './support/counting-proxy';
import { Gates, figures, planTaps, type TapRecord } from './support/gates';
import { report } from './support/report';

/** The seeded rules' healthServiceFallback: { mode: 'staff', timeoutMs: 250 }. */
const BOUND_MS = 250;
/**
 * Past the bound a tap still needs its consent lookup, the decision and two NATS hops, on a
 * 2-core machine that also runs the gates, the authority and PostgreSQL: 150 ms covers that
 * with room (a healthy tap here answers in a few ms; see the longest answer in the report).
 */
const MARGIN_MS = 150;
const HOUR = 3_600_000;

describe('fault 4: the health-code service is slow, then stopped, then back', () => {
  let stack: FaultStack;
  let authority: RunningService;
  let proxy: CountingProxy;
  let gw: RunningService;
  let nc: NatsConnection;

  beforeAll(async () => {
    stack = await FaultStack.start();
    authority = await stack.startAuthority();
    proxy = await CountingProxy.start(authority.port);
    gw = await stack.startGateway('gateway', proxy.url);
    await stack.seed(1_400, authority.url);
    nc = await stack.gateClient();
  }, 180_000);

  afterAll(async () => {
    await nc?.close();
    await proxy?.close();
    await stack?.dispose();
  });

  const setFaults = (delayMs: number, unavailable: boolean) =>
    setAuthorityFaults(authority, { delayMs, unavailable });

  it('answers every tap within the bound through the fallback, stops hammering, recovers', async () => {
    const riders = stack.take(1_400);
    const prefix = `hs${Date.now().toString(36)}`;
    const taps = await planTaps(stack.codec, riders, prefix);
    const gates = new Gates(nc, 2_000);
    const run = gates.drive(taps, 50);

    await sleep(3_000);
    const slowAt = performance.now();
    await setFaults(BOUND_MS * 4, false);
    await sleep(5_000);
    const stoppedAt = performance.now();
    proxy.down = true;
    stack.expectExit(authority.proc);
    authority.proc.kill('SIGKILL');
    await authority.proc.waitExit();
    await sleep(6_000);
    // The stand-in keeps its records in memory: a new one needs its persons and consents again.
    authority = await stack.startAuthority(authority.port);
    await reseedConsents(stack, authority.url, riders);
    proxy.down = false;
    const backAt = performance.now();
    const records = await run;

    const f = await figures('4. health service slow, then stopped', records, stack.pool, prefix);
    const slow = records.filter((r) => r.sentAt >= slowAt + 300 && r.sentAt < stoppedAt);
    // A tap sent in the last moments before "back" may do its lookup after it: not counted.
    const down = records.filter((r) => r.sentAt >= stoppedAt && r.sentAt < backAt - 300);
    const reachedWhileDown = proxy.countBetween(stoppedAt, backAt);
    const reachedWhileSlow = proxy.countBetween(slowAt, stoppedAt);
    const firstOpen = records.find((r) => r.sentAt >= backAt && r.reply?.outcome === 'open');
    const recoveredMs = firstOpen ? Math.round(firstOpen.sentAt - backAt) : -1;
    const late = records.filter((r) => r.answerMs > BOUND_MS + MARGIN_MS).length;
    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    f.note =
      `bound ${BOUND_MS} + ${MARGIN_MS} ms, ${late} later; slow ${seconds(stoppedAt - slowAt)} s: ` +
      `${slow.length} taps, ${reachedWhileSlow} requests reached the service; stopped ` +
      `${seconds(backAt - stoppedAt)} s (killed, restarted, re-seeded): ${down.length} taps, ${reachedWhileDown} requests; ` +
      `first open ${recoveredMs} ms after it was back`;
    report(f);

    expect(gw.proc.exited).toBeNull();
    expect(f.answered).toBe(f.sent);
    expect(f.retried).toBe(0);
    expect(late).toBe(0);
    expect(f.openWithoutRow).toBe(0);
    expect(f.orphans).toBe(0);
    expect(f.rows).toBe(f.open);
    for (const r of [...slow, ...down]) expect(r.reply?.outcome).not.toBe('open');
    expect(slow.filter(fellBack).length).toBeGreaterThan(slow.length * 0.8);
    expect(down.filter(fellBack).length).toBeGreaterThan(down.length * 0.8);
    // Open for 2 s after 5 failures, then one trial: a few requests, not one per tap.
    expect(reachedWhileDown).toBeLessThanOrEqual(Math.ceil((backAt - stoppedAt) / 2_000) + 2);
    expect(reachedWhileDown).toBeLessThan(down.length / 5);
    expect(recoveredMs).toBeGreaterThanOrEqual(0);
    expect(recoveredMs).toBeLessThan(4_000);
  }, 180_000);
});

const fellBack = (r: TapRecord): boolean =>
  r.reply?.reasons.includes('HEALTH_SERVICE_UNAVAILABLE') === true;

/** The same persons again at a restarted authority, and the gateway's links to their new consents. */
async function reseedConsents(stack: FaultStack, authorityUrl: string, all: BenchRider[]) {
  for (let i = 0; i < all.length; i += 400)
    await reseedChunk(stack, authorityUrl, all.slice(i, i + 400));
}

async function reseedChunk(stack: FaultStack, authorityUrl: string, riders: BenchRider[]) {
  const now = Date.now();
  const res = await fetch(`${authorityUrl}/v1/admin/bulk-seed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': AUTHORITY_KEY },
    body: JSON.stringify({
      grantee: 'metro',
      purpose: 'metro-ride',
      persons: riders.map((r) => ({
        idNumber: r.idNumber,
        name: 'fault',
        birthDate: `${r.idNumber.slice(6, 10)}-${r.idNumber.slice(10, 12)}-${r.idNumber.slice(12, 14)}`,
        colour: r.profile === 'yellow' ? 'yellow' : 'green',
        negativeSampledAt:
          r.profile === 'no-test'
            ? null
            : formatShanghai(now - (r.profile === 'expired' ? 80 : 5) * HOUR),
      })),
    }),
  });
  expect(res.status).toBeLessThan(300);
  const { consentIds } = (await res.json()) as { consentIds: (string | null)[] };
  await stack.pool.query(
    `UPDATE health_links h SET consent_id = t.c FROM unnest($1::uuid[], $2::text[]) AS t(r, c)
      WHERE h.rider_id = t.r`,
    [riders.map((r) => r.riderId), consentIds],
  );
}
