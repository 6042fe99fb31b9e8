import type { NatsConnection } from 'nats';
import { FaultStack, sleep, type RunningService } from './support/harness';
import { Gates, figures, planTaps } from './support/gates';
import { report } from './support/report';

describe('fault 5: SIGTERM to a gateway during load, a second one runs', () => {
  let stack: FaultStack;
  let authority: RunningService;
  let a: RunningService;
  let b: RunningService;
  let nc: NatsConnection;

  beforeAll(async () => {
    stack = await FaultStack.start();
    authority = await stack.startAuthority();
    [a, b] = await Promise.all([
      // Info level: its drain line says how many taps were in flight at SIGTERM.
      stack.startGateway('gateway-a', authority.url, { LOG_LEVEL: 'info' }),
      stack.startGateway('gateway-b', authority.url),
    ]);
    await stack.seed(1_800, authority.url);
    nc = await stack.gateClient();
  }, 180_000);

  afterAll(async () => {
    await nc?.close();
    await stack?.dispose();
  });

  it('answers its in-flight taps, hands new ones to the other instance, nothing needs a retry', async () => {
    const prefix = `st${Date.now().toString(36)}`;
    const taps = await planTaps(stack.codec, stack.take(1_500), prefix);
    // A gate would retry after 5 s; the test then counts any tap that needed it.
    const gates = new Gates(nc, 5_000);
    const run = gates.drive(taps, 250);
    // A burst, and the signal as soon as its first reply is back: the rest is then in flight.
    const burstTaps = await planTaps(stack.codec, stack.take(300), `${prefix}b`);
    await sleep(2_500);
    const drainLines = a.proc.watch(/draining in-flight taps/);
    let termAt = 0;
    let signalled!: () => void;
    const signalSent = new Promise<void>((r) => (signalled = r));
    const terminate = () => {
      if (termAt !== 0) return;
      stack.expectExit(a.proc);
      termAt = performance.now();
      a.proc.kill('SIGTERM');
      signalled();
    };
    const burst = Promise.all(burstTaps.map((t) => gates.send(t).finally(terminate)));
    await signalSent;
    const exit = await a.proc.waitExit(15_000);
    const exitMs = Math.round(performance.now() - termAt);
    const records = [...(await run), ...(await burst)];

    const f = await figures('5. SIGTERM (2 instances)', records, stack.pool, prefix);
    const after = records.filter((r) => r.sentAt >= termAt).length;
    // The instance's own count of the taps it was still deciding once it stopped taking new ones.
    const drained = /"inFlight":(\d+)/.exec(drainLines.join('\n'));
    const inFlightAtSignal = drained ? Number(drained[1]) : 0;
    const answeredAfter = records.filter(
      (r) => r.sentAt < termAt && r.sentAt + r.answerMs > termAt && r.attempts === 1,
    ).length;
    f.note =
      `300-tap burst, SIGTERM at its first reply: pid ${a.proc.pid} was still deciding ${inFlightAtSignal} ` +
      `taps when it stopped taking new ones and exited ${exit.code} after ${exitMs} ms; ` +
      `${answeredAfter} taps sent before the signal ` +
      `were answered after it at the first attempt; ${after} taps sent after it went to the other`;
    report(f);

    expect(inFlightAtSignal).toBeGreaterThan(0);
    expect(answeredAfter).toBeGreaterThanOrEqual(inFlightAtSignal);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(f.answered).toBe(f.sent);
    expect(f.retried).toBe(0);
    expect(f.rows).toBe(f.open);
    expect(f.openWithoutRow).toBe(0);
    expect(f.orphans).toBe(0);
    expect(f.duplicates).toBe(0);
    expect(b.proc.exited).toBeNull();
  }, 180_000);
});
