import type { NatsConnection } from 'nats';
import type { GateReply } from '@app/protocol';
import { FaultStack, sleep, type RunningService } from './support/harness';
import { Gates, figures, planTaps, type TapRecord } from './support/gates';
import { report } from './support/report';

/** FAULTS_PROFILE=short (npm test) skips the 30 s outage; npm run test:faults runs both. */
const OUTAGES: { seconds: number; signal: NodeJS.Signals }[] =
  process.env.FAULTS_PROFILE === 'short'
    ? [{ seconds: 5, signal: 'SIGTERM' }]
    : [
        { seconds: 5, signal: 'SIGTERM' },
        { seconds: 30, signal: 'SIGKILL' },
      ];

describe('fault 2: NATS is restarted during load', () => {
  let stack: FaultStack;
  let gw: RunningService;
  let nc: NatsConnection;

  beforeAll(async () => {
    ({ stack, gw, nc } = await FaultStack.withOneGateway(2_400));
  }, 180_000);

  afterAll(async () => {
    await stack?.dispose();
  });

  it.each(OUTAGES)(
    'down for $seconds s ($signal): the gateway reconnects, answers every tap, retries get the same reply',
    async ({ seconds, signal }) => {
      const riders = stack.take(1_200);
      const prefix = `nr${seconds}x${Date.now().toString(36)}`;
      const taps = await planTaps(stack.codec, riders, prefix);
      const gates = new Gates(nc, 1_500, 5 * 60_000);
      const run = gates.drive(taps, 100);
      await sleep(2_000);
      await stack.nats.stop(signal);
      await sleep(seconds * 1_000);
      await stack.nats.resume();
      const records = await run;

      // After recovery every answered tap is sent again with its tapId: the same reply, byte for byte.
      const again = await resend(gates, records);
      const differing = again.filter((x) => !same(x.first, x.second)).length;
      const f = await figures(`2. NATS down ${seconds} s (${signal})`, records, stack.pool, prefix);
      f.note = `re-sent ${again.length} answered taps after recovery: ${differing} differed`;
      report(f);

      expect(gw.proc.exited).toBeNull();
      expect(f.answered).toBe(f.sent);
      expect(f.open).toBeGreaterThan(f.sent * 0.5);
      expect(f.rows).toBe(f.open);
      expect(f.openWithoutRow).toBe(0);
      expect(f.orphans).toBe(0);
      expect(f.duplicates).toBe(0);
      expect(differing).toBe(0);
      expect(f.maxAnswerMs).toBeGreaterThan(seconds * 1_000 - 1_000); // the outage was real
      const health = await fetch(`${gw.url}/health`);
      expect(health.status).toBe(200);
    },
    240_000,
  );
});

async function resend(
  gates: Gates,
  records: TapRecord[],
): Promise<{ first: GateReply; second: GateReply | null }[]> {
  const answered = records.filter(
    (r): r is TapRecord & { reply: GateReply } =>
      r.reply !== null && !r.reply.reasons.includes('RECORD_UNAVAILABLE'),
  );
  const second = await gates.drive(answered, 2_000, 128);
  return answered.map((r, i) => ({ first: r.reply, second: second[i].reply }));
}

const same = (a: GateReply, b: GateReply | null): boolean =>
  b !== null && JSON.stringify(a) === JSON.stringify(b);
