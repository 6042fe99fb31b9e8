import pino from 'pino';
import { fixedClock } from '../common/clock';
import { loadConfig } from '../config';
import { Metrics } from '../ops/metrics';
import type { RulesService } from '../rules/rules.service';
import type { AuthorityClient, AuthorityStatus } from './authority.client';
import { HealthStatusService } from './health-status.service';

const T0 = Date.parse('2022-06-01T08:00:00+08:00');
const MINUTE = 60_000;
const GREEN: AuthorityStatus = {
  colour: 'green',
  latestNegativeSampledAt: '2022-05-31T20:00:00.000+08:00',
  latestTest: { sampledAt: '2022-05-31T20:00:00.000+08:00', result: 'negative' },
};

/** The health authority in memory: answers from `statuses`, or fails while `down`. */
class FakeAuthority {
  readonly statuses = new Map<string, AuthorityStatus>();
  down = false;
  requests = 0;
  /** When set, the next request waits for this before answering. */
  hold: Promise<void> | null = null;

  async statusBatch(ids: string[]): Promise<Record<string, AuthorityStatus | null>> {
    this.requests++;
    const hold = this.hold;
    this.hold = null;
    if (hold) await hold;
    if (this.down) throw new Error('connect ECONNREFUSED');
    return Object.fromEntries(ids.map((id) => [id, this.statuses.get(id) ?? null]));
  }
}

/** The one thing the service asks of the rules: the longest "cached within N minutes". */
class FakeRules {
  cachedFallbackMinutes = 10;
  longestCacheFallbackMs(): number {
    return this.cachedFallbackMinutes * MINUTE;
  }
}

function setup(env: Record<string, string> = {}) {
  const clock = fixedClock(T0);
  const authority = new FakeAuthority();
  const rules = new FakeRules();
  const metrics = new Metrics();
  const service = new HealthStatusService(
    authority as unknown as AuthorityClient,
    rules as unknown as RulesService,
    loadConfig({ HEALTH_CACHE_TTL_MS: '10000', ...env }),
    clock,
    pino({ level: 'silent' }),
    metrics,
  );
  authority.statuses.set('c1', GREEN);
  return { clock, authority, rules, service, metrics };
}

const BUDGET_MS = 250;

describe('HealthStatusService', () => {
  let s: ReturnType<typeof setup>;
  beforeEach(() => (s = setup()));
  afterEach(() => s.service.onModuleDestroy());

  it('serves a status read within HEALTH_CACHE_TTL_MS as fresh, without asking again', async () => {
    await expect(s.service.lookup('c1', BUDGET_MS)).resolves.toMatchObject({ kind: 'fresh' });
    s.clock.set(T0 + 9_999);
    await expect(s.service.lookup('c1', BUDGET_MS)).resolves.toMatchObject({ kind: 'fresh' });
    expect(s.authority.requests).toBe(1);
    s.clock.set(T0 + 10_000);
    await s.service.lookup('c1', BUDGET_MS);
    expect(s.authority.requests).toBe(2);
  });

  it('offers the last-known status, with when it was read, when the authority does not answer', async () => {
    await s.service.lookup('c1', BUDGET_MS);
    s.authority.down = true;
    s.clock.set(T0 + 4 * MINUTE);
    await expect(s.service.lookup('c1', BUDGET_MS)).resolves.toEqual({
      kind: 'cached',
      facts: { colour: 'green', latestNegativeSampledAt: Date.parse(GREEN.latestTest!.sampledAt) },
      fetchedAt: T0,
    });
    // A rider never read before has nothing to fall back on.
    await expect(s.service.lookup('c2', BUDGET_MS)).resolves.toEqual({ kind: 'unavailable' });
  });

  it('keeps last-known statuses across a NATS reconnect, but asks again before serving one as fresh', async () => {
    await s.service.lookup('c1', BUDGET_MS);
    s.service.dropFresh(); // what a reconnect does: change notices may have been missed
    expect(s.service.cachedCount).toBe(0);
    expect(s.service.lastKnownCount).toBe(1);

    s.clock.set(T0 + 1_000); // well within the fresh TTL, yet the authority is asked again
    s.authority.down = true;
    await expect(s.service.lookup('c1', BUDGET_MS)).resolves.toMatchObject({
      kind: 'cached',
      fetchedAt: T0,
    });
    expect(s.authority.requests).toBe(2);
  });

  it('forgets both at once on a change notice or a revocation, even across a reconnect', async () => {
    await s.service.lookup('c1', BUDGET_MS);
    s.service.dropFresh();
    s.service.evict('c1');
    expect(s.service.lastKnownCount).toBe(0);
    s.authority.down = true;
    await expect(s.service.lookup('c1', BUDGET_MS)).resolves.toEqual({ kind: 'unavailable' });
  });

  it('does not let a lookup in flight bring back a status evicted meanwhile', async () => {
    let answer!: () => void;
    s.authority.hold = new Promise((r) => (answer = r));
    const inFlight = s.service.lookup('c1', BUDGET_MS);
    await new Promise((r) => setImmediate(r)); // the batch has gone out
    s.service.evict('c1');
    answer();
    // The tap that asked gets what the authority said; nothing is kept of it.
    await expect(inFlight).resolves.toMatchObject({ kind: 'fresh' });
    expect(s.service.cachedCount).toBe(0);
    expect(s.service.lastKnownCount).toBe(0);
  });

  it('does not keep as fresh a status asked for before a reconnect, but keeps it as last-known', async () => {
    let answer!: () => void;
    s.authority.hold = new Promise((r) => (answer = r));
    const inFlight = s.service.lookup('c1', BUDGET_MS);
    await new Promise((r) => setImmediate(r));
    s.service.dropFresh();
    answer();
    await inFlight;
    expect(s.service.cachedCount).toBe(0);
    expect(s.service.lastKnownCount).toBe(1);
  });

  it('dates a status from when it was asked for, not when the answer came', async () => {
    let answer!: () => void;
    s.authority.hold = new Promise((r) => (answer = r));
    const inFlight = s.service.lookup('c1', BUDGET_MS);
    await new Promise((r) => setImmediate(r));
    s.clock.set(T0 + 200);
    answer();
    await inFlight;
    s.authority.down = true;
    s.service.dropFresh();
    await expect(s.service.lookup('c1', BUDGET_MS)).resolves.toMatchObject({ fetchedAt: T0 });
  });

  it('keeps last-known statuses for the longest N of any rule version, and no longer', async () => {
    await s.service.lookup('c1', BUDGET_MS);
    s.clock.set(T0 + 10 * MINUTE);
    s.service.forgetExpired();
    expect(s.service.lastKnownCount).toBe(1);
    expect(s.service.cachedCount).toBe(0); // past the fresh TTL
    s.clock.set(T0 + 10 * MINUTE + 1);
    s.service.forgetExpired();
    expect(s.service.lastKnownCount).toBe(0);
  });

  it('keeps no last-known status when no rule version falls back to cached statuses', async () => {
    s.rules.cachedFallbackMinutes = 0;
    await s.service.lookup('c1', BUDGET_MS);
    expect(s.service.cachedCount).toBe(1);
    expect(s.service.lastKnownCount).toBe(0);
  });

  it('keeps at most HEALTH_LAST_KNOWN_MAX, dropping the one read longest ago', async () => {
    s.service.onModuleDestroy();
    s = setup({ HEALTH_LAST_KNOWN_MAX: '2' });
    for (const id of ['c1', 'c2', 'c3']) s.authority.statuses.set(id, GREEN);
    for (const [i, id] of ['c1', 'c2', 'c1', 'c3'].entries()) {
      s.clock.set(T0 + i * 20_000); // each read is past the fresh TTL, so c1 is read twice
      await s.service.lookup(id, BUDGET_MS);
    }
    expect(s.service.lastKnownCount).toBe(2);
    s.service.dropFresh();
    s.authority.down = true;
    await expect(s.service.lookup('c2', BUDGET_MS)).resolves.toEqual({ kind: 'unavailable' });
    await expect(s.service.lookup('c1', BUDGET_MS)).resolves.toMatchObject({ kind: 'cached' });
    await expect(s.service.lookup('c3', BUDGET_MS)).resolves.toMatchObject({ kind: 'cached' });
  });

  describe('warm statuses, read when a ride code is asked for', () => {
    const CODE_END = T0 + 60_000; // a 60 s code, well past the 10 s fresh TTL

    it('serves a status prefetched for a code until the code expires, without asking again', async () => {
      await s.service.prefetch('c1', CODE_END, BUDGET_MS);
      expect(s.authority.requests).toBe(1);
      s.clock.set(CODE_END - 1);
      await expect(s.service.lookup('c1', BUDGET_MS)).resolves.toMatchObject({ kind: 'fresh' });
      expect(s.authority.requests).toBe(1);
    });

    it('asks again once the code has expired', async () => {
      await s.service.prefetch('c1', CODE_END, BUDGET_MS);
      s.clock.set(CODE_END);
      await s.service.lookup('c1', BUDGET_MS);
      expect(s.authority.requests).toBe(2);
    });

    it('is evicted by a change notice or a revocation', async () => {
      await s.service.prefetch('c1', CODE_END, BUDGET_MS);
      s.service.evict('c1');
      expect(s.service.warmCount).toBe(0);
      s.clock.set(T0 + 1);
      await s.service.lookup('c1', BUDGET_MS);
      expect(s.authority.requests).toBe(2);
    });

    it('is dropped with fresh statuses after a reconnect', async () => {
      await s.service.prefetch('c1', CODE_END, BUDGET_MS);
      s.service.dropFresh();
      expect(s.service.warmCount).toBe(0);
      await s.service.lookup('c1', BUDGET_MS);
      expect(s.authority.requests).toBe(2);
    });

    it('keeps nothing warm from a prefetch in flight when the consent was evicted', async () => {
      let answer!: () => void;
      s.authority.hold = new Promise((r) => (answer = r));
      const inFlight = s.service.prefetch('c1', CODE_END, BUDGET_MS);
      await new Promise((r) => setImmediate(r));
      s.service.evict('c1');
      answer();
      await inFlight;
      expect(s.service.warmCount).toBe(0);
      expect(s.service.cachedCount).toBe(0);
    });

    it('keeps nothing warm when the authority did not answer or no longer knows the consent', async () => {
      await s.service.prefetch('gone', CODE_END, BUDGET_MS);
      s.authority.down = true;
      await expect(s.service.prefetch('c1', CODE_END, BUDGET_MS)).resolves.toBeUndefined();
      expect(s.service.warmCount).toBe(0);
    });

    it('keeps a status the status screen read until a code shown with it expires', async () => {
      const facts = { colour: 'green' as const, latestNegativeSampledAt: T0 - 12 * 3_600_000 };
      s.service.warmWith('c1', facts, performance.now(), T0, CODE_END);
      s.clock.set(CODE_END - 1);
      await expect(s.service.lookup('c1', BUDGET_MS)).resolves.toEqual({ kind: 'fresh', facts });
      expect(s.authority.requests).toBe(0);
    });

    it('forgets warm statuses past their code in the sweep', async () => {
      await s.service.prefetch('c1', CODE_END, BUDGET_MS);
      s.clock.set(CODE_END - 1);
      s.service.forgetExpired();
      expect(s.service.warmCount).toBe(1);
      s.clock.set(CODE_END);
      s.service.forgetExpired();
      expect(s.service.warmCount).toBe(0);
    });

    it('keeps at most HEALTH_WARM_MAX, dropping the one read longest ago', async () => {
      s.service.onModuleDestroy();
      s = setup({ HEALTH_WARM_MAX: '2' });
      for (const id of ['c1', 'c2', 'c3']) s.authority.statuses.set(id, GREEN);
      for (const id of ['c1', 'c2', 'c1', 'c3']) await s.service.prefetch(id, CODE_END, BUDGET_MS);
      expect(s.service.warmCount).toBe(2);
      s.clock.set(T0 + 30_000); // past the fresh TTL: only warm statuses answer without a request
      const before = s.authority.requests;
      await s.service.lookup('c1', BUDGET_MS);
      await s.service.lookup('c3', BUDGET_MS);
      expect(s.authority.requests).toBe(before);
      await s.service.lookup('c2', BUDGET_MS);
      expect(s.authority.requests).toBe(before + 1);
    });

    it('reads nothing ahead with HEALTH_WARM_MAX=0', async () => {
      s.service.onModuleDestroy();
      s = setup({ HEALTH_WARM_MAX: '0' });
      await s.service.prefetch('c1', CODE_END, BUDGET_MS);
      expect(s.authority.requests).toBe(0);
      expect(s.service.warmCount).toBe(0);
    });
  });

  it('answers null, and keeps nothing, when the authority no longer knows the consent', async () => {
    await expect(s.service.lookup('gone', BUDGET_MS)).resolves.toBeNull();
    expect(s.service.cachedCount).toBe(0);
    expect(s.service.lastKnownCount).toBe(0);
  });
  it('times each status request in gateway_authority_lookup_duration_seconds, by result', async () => {
    const count = async (result: string) => {
      const m = await s.metrics.registry
        .getSingleMetric('gateway_authority_lookup_duration_seconds')!
        .get();
      const v = m.values.find(
        (x) =>
          x.labels.result === result &&
          (x as { metricName?: string }).metricName?.endsWith('_count'),
      );
      return v?.value ?? 0;
    };
    await s.service.lookup('c1', BUDGET_MS);
    s.authority.down = true;
    await s.service.lookup('c2', BUDGET_MS);
    expect(await count('ok')).toBe(1);
    expect(await count('failed')).toBe(1);
  });

  it('reports the circuit breaker state: open after five failed requests in a row', async () => {
    expect(s.service.breakerState).toBe('closed');
    s.authority.down = true;
    for (let i = 0; i < 5; i++) await s.service.lookup(`x${i}`, BUDGET_MS);
    expect(s.service.breakerState).toBe('open');
  });
});
