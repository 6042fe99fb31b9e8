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
    // A burst just before the signal, so the instance surely has taps in flight when it comes.
    const burstTaps = await planTaps(stack.codec, stack.take(300), `${prefix}b`);
    await sleep(2_500);
    const burst = Promise.all(burstTaps.map((t) => gates.send(t)));
    await sleep(5);
    stack.expectExit(a.proc);
    const termAt = performance.now();
    a.proc.kill('SIGTERM');
    const exit = await a.proc.waitExit(15_000);
    const exitMs = Math.round(performance.now() - termAt);
    const records = [...(await run), ...(await burst)];

    const f = await figures('5. SIGTERM (2 instances)', records, stack.pool, prefix);
    const after = records.filter((r) => r.sentAt >= termAt).length;
    const drained = /"inFlight":(\d+)[^\n]*draining in-flight taps/.exec(a.proc.output());
    f.note =
      `300-tap burst, SIGTERM 5 ms later: pid ${a.proc.pid} finished ${drained ? drained[1] : 0} in-flight taps ` +
      `and exited ${exit.code} after ${exitMs} ms; ${after} taps sent after it went to the other`;
    report(f);

    expect(exit).toEqual({ code: 0, signal: null });
    expect(f.answered).toBe(f.sent);
    expect(f.retried).toBe(0);
    expect(f.rows).toBe(f.open);
    expect(f.openWithoutRow).toBe(0);
    expect(f.duplicates).toBe(0);
    expect(b.proc.exited).toBeNull();
  }, 180_000);
});
