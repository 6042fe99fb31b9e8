import type { NatsConnection } from 'nats';
import { formatShanghai } from '@app/protocol';
import {
  FaultStack,
  decisionsOf,
  eventually,
  setAuthorityFaults,
  sleep,
  type RunningService,
} from './support/harness';
import { Gates, figures, gotUsual, planTaps, type TapRecord } from './support/gates';
import { report } from './support/report';

const enc = new TextEncoder();
/** The fallback's timeoutMs, and room for the rest of the tap (as in the health-service scenario). */
const MARGIN_MS = 150;
const BOUND_MS = 250 + MARGIN_MS;

/**
 * Three nats-server processes routed into one cluster. Gateway a starts on n1, gateway b on n2,
 * the authority on n2; gates connect to n1 and n3. Each client is given one node and learns the
 * others from it.
 */
describe('a three-node NATS cluster loses a node', () => {
  let stack: FaultStack;
  let authority: RunningService;
  let a: RunningService;
  let b: RunningService;
  const clients: NatsConnection[] = [];
  const gateClient = async (node: string) => {
    const nc = await stack.gateClient({ node });
    clients.push(nc);
    return nc;
  };

  beforeAll(async () => {
    stack = await FaultStack.start({ natsCluster: true });
    authority = await stack.startAuthority(undefined, { node: 'n2' });
    await stack.seed(3_000, authority.url);
    [a, b] = await Promise.all([
      stack.startGateway('gateway-a', authority.url, {}, { node: 'n1' }),
      stack.startGateway('gateway-b', authority.url, {}, { node: 'n2' }),
    ]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await stack?.dispose();
  });

  const cluster = () => {
    if (!stack.cluster) throw new Error('no cluster');
    return stack.cluster;
  };
  const nodeOfGateway = (gw: RunningService) => cluster().nodeOf(`gateway-${gw.proc.pid}`);

  it('9. kill -9 one node under load, restart it: no tap lost after retries, no duplicate, both gateways answer', async () => {
    expect(await nodeOfGateway(a)).toBe('n1');
    expect(await nodeOfGateway(b)).toBe('n2');
    const prefix = `nk${Date.now().toString(36)}`;
    const riders = stack.take(2_500);
    const taps = await planTaps(stack.codec, riders.slice(0, 2_400), prefix);
    const [onN1, onN3] = [taps.filter((_, i) => i % 2 === 0), taps.filter((_, i) => i % 2 === 1)];
    // Gates wait 1 s for an answer, then send the same tap again.
    const gatesN1 = new Gates(await gateClient('n1'), 1_000);
    const gatesN3 = new Gates(await gateClient('n3'), 1_000);
    // Each lookup waits 100 ms (within the 250 ms bound), so some 20 taps are always in flight
    // and the kill surely catches some of them.
    await setAuthorityFaults(authority, { delayMs: 100, unavailable: false });
    const run = Promise.all([gatesN1.drive(onN1, 100), gatesN3.drive(onN3, 100)]);

    await sleep(3_000);
    const n1 = cluster().node('n1');
    const killedPid = n1.pid;
    const killed = await n1.kill('SIGKILL');
    const killedAt = performance.now();
    // Gateway a learnt the other nodes from n1 and moves to one of them.
    await eventually(
      'gateway a on another node',
      async () => (await nodeOfGateway(a)) !== null,
      10_000,
    );
    const aMovedTo = await nodeOfGateway(a);
    const movedMs = Math.round(performance.now() - killedAt);
    const counts = { a: await decisionsOf(a), b: await decisionsOf(b) };
    await sleep(3_000);
    n1.start();
    await cluster().waitFormed();
    const rejoinedMs = Math.round(performance.now() - killedAt);
    const records = (await run).flat();
    await setAuthorityFaults(authority, { delayMs: 0, unavailable: false });
    const afterMove = {
      a: (await decisionsOf(a)) - counts.a,
      b: (await decisionsOf(b)) - counts.b,
    };

    // The restarted node serves gates again: new ones connect to it and get every answer.
    const tailTaps = await planTaps(stack.codec, riders.slice(2_400), `${prefix}t`);
    const tail = await new Gates(await gateClient('n1'), 1_000).drive(tailTaps, 100);

    const all = [...records, ...tail];
    const f = await figures('9. NATS cluster: one node kill -9', all, stack.pool, prefix);
    // Taps sent before the kill and answered after it: some went through n1 and survived it,
    // because clients buffer while they reconnect, or because the gate sent them again.
    const acrossKill = records.filter(
      (r) => r.sentAt < killedAt && r.sentAt + r.answerMs > killedAt,
    );
    f.note =
      `3 nodes, 200 taps/s from gates on n1 and n3, lookups slowed to 100 ms; n1 (pid ${killedPid}) ` +
      `killed by ${killed.signal} with ${acrossKill.length} taps in flight (${acrossKill.filter((r) => r.attempts > 1).length} ` +
      `needed a retry); gateway a moved to ${aMovedTo} in ${movedMs} ms, then a decided ${afterMove.a} ` +
      `and b ${afterMove.b} taps; n1 restarted and routed again ${rejoinedMs} ms after the kill, ` +
      `${tail.length} taps from gates on it all answered at the first attempt`;
    report(f);

    expect(killed.signal).toBe('SIGKILL');
    expect(aMovedTo).not.toBeNull();
    expect(aMovedTo).not.toBe('n1');
    expect(f.answered).toBe(f.sent);
    expect(acrossKill.length).toBeGreaterThan(0);
    expect(gatesN1.disconnects).toBeGreaterThan(0);
    expect(afterMove.a).toBeGreaterThan(0);
    expect(afterMove.b).toBeGreaterThan(0);
    expect(tail.filter((r) => r.reply === null || r.attempts > 1).length).toBe(0);
    expect(f.openWithoutRow).toBe(0);
    expect(f.orphans).toBe(0);
    expect(f.duplicates).toBe(0);
    expect(a.proc.exited).toBeNull();
    expect(b.proc.exited).toBeNull();
  }, 180_000);

  it('8. health authority down, fallback "cached within 5 minutes", across a NATS reconnect: known statuses open, others see staff within the bound', async () => {
    // One instance: what a gateway remembers is its own, so the test knows who can be served.
    stack.expectExit(b.proc);
    b.proc.kill('SIGTERM');
    await b.proc.waitExit(15_000);
    const version = await scheduleCachedFallback(stack, a, 5);

    const prefix = `cf${Date.now().toString(36)}`;
    const riders = stack.take(500);
    const readers = riders.slice(0, 240);
    const noticed = riders.slice(240, 300);
    const unknown = riders.slice(300);
    // Gates on a node gateway a is not on, so only the gateway's link breaks.
    const aNode = await nodeOfGateway(a);
    const gatesNode = ['n1', 'n2', 'n3'].find((n) => n !== aNode && cluster().node(n).running);
    const nc = await gateClient(gatesNode ?? 'n3');
    const gates = new Gates(nc, 1_000);

    // While the authority answers, these riders and the noticed ones ride in and out.
    const first = await gates.drive(
      await planTaps(stack.codec, [...readers, ...noticed], `${prefix}e`),
      100,
    );
    // A change notice for the noticed riders (as the authority sends it): their status goes.
    const consents = await consentIds(
      stack,
      noticed.map((r) => r.riderId),
    );
    for (const c of consents)
      nc.publish('authority.status-changed', enc.encode(JSON.stringify({ consentId: c })));
    // Sent after the notices on the same connection, so the gateway has read them when these are answered.
    const exits = await gates.drive(
      await planTaps(stack.codec, [...readers, ...noticed], `${prefix}x`, 'exit'),
      100,
    );

    stack.expectExit(authority.proc);
    authority.proc.kill('SIGKILL');
    await authority.proc.waitExit();
    const node = cluster().node(aNode ?? 'n1');
    await node.kill('SIGKILL');
    await eventually(
      'gateway a reconnected',
      async () => {
        const now = await nodeOfGateway(a);
        return now !== null && now !== aNode;
      },
      10_000,
    );
    const aNow = await nodeOfGateway(a);

    const second = await gates.drive(
      await planTaps(stack.codec, [...readers, ...noticed, ...unknown], `${prefix}n`),
      100,
    );
    node.start();

    const byRider = (rs: TapRecord[]) => new Map(rs.map((r) => [r.riderId, r]));
    const before = byRider(first);
    const after = byRider(second);
    // Whose status the gateway read (a lookup past the 250 ms bound on a busy machine reads none).
    const known = readers.filter((r) => {
      const t = before.get(r.riderId);
      return t !== undefined && gotUsual(t);
    });
    const sameAsBefore = known.filter((r) => {
      const x = before.get(r.riderId)?.reply;
      const y = after.get(r.riderId)?.reply;
      return x && y && x.outcome === y.outcome && x.reasons.join() === y.reasons.join();
    }).length;
    const refusedAfter = (rs: typeof riders) =>
      rs.map((r) => after.get(r.riderId)).filter((t) => t?.reply && t.reply.outcome !== 'open');
    const fellBack = (rs: typeof riders) =>
      rs
        .filter((r) => r.profile !== 'not-authorized')
        .every((r) => after.get(r.riderId)?.reply?.reasons.includes('HEALTH_SERVICE_UNAVAILABLE'));
    const all = [...first, ...exits, ...second];
    const late = second.filter((r) => r.answerMs > BOUND_MS).length;
    const f = await figures(
      '8. authority down, cached fallback, NATS reconnect',
      all,
      stack.pool,
      prefix,
    );
    f.note =
      `rule ${version}: cached within 5 min, 250 ms; authority killed, gateway's node ${aNode} killed, ` +
      `gateway reconnected to ${aNow}; then ${known.length} riders read before (of ${readers.length}): ` +
      `${sameAsBefore} got the ` +
      `same answer as with the authority up; ${noticed.length} with a change notice and ${unknown.length} ` +
      `never read: ${refusedAfter(noticed).length + refusedAfter(unknown).length} sent to staff; ` +
      `bound 250 + ${MARGIN_MS} ms, ${late} later`;
    report(f);

    expect(aNow).not.toBeNull();
    expect(aNow).not.toBe(aNode);
    expect(f.answered).toBe(f.sent);
    expect(first.every((r) => r.reply?.policyVersion === version)).toBe(true);
    expect(known.length).toBeGreaterThan(readers.length * 0.9);
    expect(exits.filter((r) => r.reply?.outcome === 'open').length).toBe(exits.length);
    expect(sameAsBefore).toBe(known.length);
    expect(refusedAfter(noticed).length).toBe(noticed.length);
    expect(refusedAfter(unknown).length).toBe(unknown.length);
    expect(fellBack(noticed)).toBe(true);
    expect(fellBack(unknown)).toBe(true);
    expect(late).toBe(0);
    expect(f.openWithoutRow).toBe(0);
    expect(f.orphans).toBe(0);
    expect(f.duplicates).toBe(0);
    expect(a.proc.exited).toBeNull();
  }, 180_000);
});

/** A rule version for the station with the operator's "cached" fallback, in force when this returns. */
async function scheduleCachedFallback(
  stack: FaultStack,
  gw: RunningService,
  maxAgeMinutes: number,
): Promise<string> {
  // Versions are scheduled at least 2 s ahead (every instance must hold one before its
  // instant); the request itself takes a moment more.
  const effectiveFrom = Date.now() + 3_000;
  const res = await fetch(`${gw.url}/rules/versions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${await stack.operatorToken()}`,
    },
    body: JSON.stringify({
      effectiveFrom: formatShanghai(effectiveFrom),
      scope: { kind: 'stations', stations: ['S0312'] },
      testWindowHours: 72,
      oneCodeEnabled: true,
      healthServiceFallback: { mode: 'cached', timeoutMs: 250, maxAgeMinutes },
      reason: 'fault suite: accept a status cached within N minutes',
    }),
  });
  if (res.status !== 201) throw new Error(`rule version: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  // A rule takes effect at its instant, on every instance.
  await sleep(Math.max(0, effectiveFrom - Date.now() + 100));
  return id;
}

async function consentIds(stack: FaultStack, riderIds: string[]): Promise<string[]> {
  const r = await stack.pool.query<{ consent_id: string }>(
    'SELECT consent_id FROM health_links WHERE rider_id = ANY($1::uuid[])',
    [riderIds],
  );
  return r.rows.map((x) => x.consent_id);
}
