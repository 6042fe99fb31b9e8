import type { NatsConnection } from 'nats';
import { FaultStack, sleep, type RunningService } from './support/harness';
import { Gates, figures, planTaps, type TapRecord } from './support/gates';
import { report } from './support/report';

const OUTAGE_MS = 3_000;

describe('fault 3: PostgreSQL connections are killed, then the server is restarted', () => {
  let stack: FaultStack;
  let gw: RunningService;
  let nc: NatsConnection;

  beforeAll(async () => {
    ({ stack, gw, nc } = await FaultStack.withOneGateway(1_600));
  }, 180_000);

  afterAll(async () => {
    await stack?.dispose();
  });

  const terminateBackends = async (): Promise<number> => {
    const r = await stack.pool.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    );
    return r.rows[0].n;
  };

  it('survives, answers RECORD_UNAVAILABLE while it cannot commit (never an open without a row), and recovers', async () => {
    const prefix = `pg${Date.now().toString(36)}`;
    const taps = await planTaps(stack.codec, stack.take(1_600), prefix);
    const gates = new Gates(nc, 3_000, 30_000);
    const run = gates.drive(taps, 100);

    let terminated = 0;
    for (const at of [2_000, 1_000, 1_000]) {
      await sleep(at);
      terminated += await terminateBackends();
    }
    await sleep(1_000);
    const downAt = performance.now();
    stack.pg.stopServer('fast');
    await sleep(OUTAGE_MS);
    await stack.pg.startServer();
    const upAt = performance.now();
    const records = await run;

    const f = await figures('3. PostgreSQL killed backends + restart', records, stack.pool, prefix);
    const during = records.filter((r) => r.sentAt >= downAt && r.sentAt < upAt - 500);
    const unavailableDuring = during.filter((r) =>
      r.reply?.reasons.includes('RECORD_UNAVAILABLE'),
    ).length;
    const after = records.filter((r) => r.sentAt >= upAt + 3_000);
    const firstOpenAfter = records.find((r) => r.sentAt >= upAt && r.reply?.outcome === 'open');
    const recoveredMs = firstOpenAfter ? Math.round(firstOpenAfter.sentAt - upAt) : -1;
    f.note =
      `${terminated} backends terminated; server down ${OUTAGE_MS / 1000} s: ` +
      `${unavailableDuring}/${during.length} taps meanwhile got RECORD_UNAVAILABLE, ` +
      `${during.filter(isOpen).length} opened; first open ${recoveredMs} ms after restart`;
    report(f);

    expect(gw.proc.exited).toBeNull();
    expect(f.answered).toBe(f.sent);
    expect(f.openWithoutRow).toBe(0);
    expect(f.duplicates).toBe(0);
    // A commit that landed after its tap was told RECORD_UNAVAILABLE would be an orphan: a
    // check-in for a rider the gate kept out, whose ride code is spent and journey open.
    expect(f.orphans).toBe(0);
    expect(f.rows).toBe(f.open);
    expect(during.length).toBeGreaterThan(0);
    expect(during.filter(isOpen)).toHaveLength(0);
    expect(unavailableDuring).toBeGreaterThan(0);
    expect(recoveredMs).toBeGreaterThanOrEqual(0);
    expect(after.filter((r) => r.reply?.reasons.includes('RECORD_UNAVAILABLE'))).toHaveLength(0);
    expect(after.filter(isOpen).length).toBeGreaterThan(after.length * 0.5);
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
  }, 180_000);
});

const isOpen = (r: TapRecord): boolean => r.reply?.outcome === 'open';
