import type { NatsConnection } from 'nats';
import { FaultStack, decisionsOf, sleep, type RunningService } from './support/harness';
import { Gates, figures, planTaps } from './support/gates';
import { report } from './support/report';

describe('fault 1: a gateway is killed (-9) during steady load, a second one runs', () => {
  let stack: FaultStack;
  let a: RunningService;
  let b: RunningService;
  let nc: NatsConnection;
  let authority: RunningService;

  beforeAll(async () => {
    stack = await FaultStack.start();
    authority = await stack.startAuthority();
    [a, b] = await Promise.all([
      stack.startGateway('gateway-a', authority.url),
      stack.startGateway('gateway-b', authority.url),
    ]);
    await stack.seed(1_500, authority.url);
    nc = await stack.gateClient();
  }, 180_000);

  afterAll(async () => {
    await nc?.close();
    await stack?.dispose();
  });

  it('answers every tap, retrying onto the second instance what the first took down with it', async () => {
    const riders = stack.take(1_500);
    const prefix = `k9${Date.now().toString(36)}`;
    const taps = await planTaps(stack.codec, riders, prefix);
    // Gates wait 1 s for an answer, then send the same tap again.
    const gates = new Gates(nc, 1_000);
    const run = gates.drive(taps, 250);
    await sleep(2_500);
    stack.expectExit(a.proc);
    a.proc.kill('SIGKILL');
    const killed = await a.proc.waitExit();
    // From here on only b can answer: a's process is gone.
    const killedAt = performance.now();
    const bBefore = await decisionsOf(b);
    const records = await run;
    const bAfter = await decisionsOf(b);

    // Taps a took with it: first sent before it died, answered only after, on another attempt.
    const ontoB = records.filter(
      (r) => r.attempts > 1 && r.sentAt < killedAt && r.sentAt + r.answerMs > killedAt,
    );
    const f = await figures('1. gateway kill -9 (2 instances)', records, stack.pool, prefix);
    f.note =
      `killed pid ${a.proc.pid} by ${killed.signal}; 250 taps/s, gate timeout 1 s; ` +
      `${ontoB.length} taps in flight at the kill were retried and answered by the other instance, ` +
      `which decided ${bAfter - bBefore} taps after the kill`;
    report(f);
    expect(killed.signal).toBe('SIGKILL');
    expect(f.answered).toBe(f.sent);
    expect(f.open).toBeGreaterThan(f.sent * 0.5);
    expect(ontoB.length).toBeGreaterThan(0);
    expect(ontoB.every((r) => r.reply !== null)).toBe(true);
    expect(bAfter - bBefore).toBeGreaterThanOrEqual(ontoB.length);
    expect(f.rows).toBe(f.open);
    expect(f.openWithoutRow).toBe(0);
    expect(f.orphans).toBe(0);
    expect(f.duplicates).toBe(0);
    expect(b.proc.exited).toBeNull();
  }, 180_000);
});
