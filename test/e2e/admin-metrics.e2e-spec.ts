import { existsSync } from 'node:fs';
import request from 'supertest';
import { healthy, rider, rideCode } from '../support/factories';
import { holdCommits } from '../support/held-commit';
import { startStack, tap, testDatabaseUrl, uniqueId, type TestStack } from '../support/stack';

const PILOT = 'S0312';

/** The admin port's Prometheus text, as a scraper reads it. */
async function scrape(stack: TestStack): Promise<string> {
  const res = await request(stack.gw.adminUrl).get('/metrics').expect(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  return res.text;
}

/** One sample's value, or undefined when the series is not exposed. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics on the admin port', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // A held commit stays held (the default deadline would answer the tap within a second).
    stack = await startStack({ env: { TAP_DEADLINE_MS: '30000' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('serves /metrics on the admin port only, not on the public API port', async () => {
    expect(stack.gw.adminUrl).not.toBe(stack.gw.url);
    await request(stack.gw.url).get('/metrics').expect(404);
    await request(stack.gw.adminUrl).get('/docs').expect(404);
    expect(await scrape(stack)).toContain('gateway_decision_seconds');
  });

  it('follows the Prometheus naming conventions for every gateway metric', async () => {
    const types = [...(await scrape(stack)).matchAll(/^# TYPE (gateway_\S+) (\S+)$/gm)].map(
      ([, name, type]) => ({ name, type }),
    );
    expect(types.length).toBeGreaterThanOrEqual(10);
    const wrong = types.filter(
      ({ name, type }) =>
        !/^gateway_[a-z0-9_]+$/.test(name) ||
        (type === 'counter') !== name.endsWith('_total') ||
        (/duration|latency|_time/.test(name) && !name.endsWith('_seconds')) ||
        /_ms$|_millis/.test(name),
    );
    expect(wrong).toEqual([]);
  });

  it('exposes the lookup latency, breaker state, commit time, in-flight taps, cache sizes and NATS reconnects', async () => {
    const before = await scrape(stack);
    const lookups = (t: string) =>
      sample(t, 'gateway_authority_lookup_duration_seconds_count{result="ok"}') ?? 0;
    const commits = (t: string) =>
      sample(t, 'gateway_checkin_commit_duration_seconds_count{result="committed"}') ?? 0;

    const r = await rider(stack.gw.url, stack.authority.url, healthy(Date.now()));
    const reply = await tap(stack.nc, {
      stationId: PILOT,
      gateId: uniqueId('G'),
      credential: { kind: 'ride-code', code: await rideCode(stack.gw.url, r.riderId) },
    });
    expect(reply.outcome).toBe('open');

    const after = await scrape(stack);
    // At least the tap's own (minting the code may read the status ahead, as warm taps do).
    expect(lookups(after)).toBeGreaterThan(lookups(before));
    expect(commits(after)).toBe(commits(before) + 1);
    expect(sample(after, 'gateway_authority_breaker_state{state="closed"}')).toBe(1);
    expect(sample(after, 'gateway_authority_breaker_state{state="open"}')).toBe(0);
    expect(sample(after, 'gateway_authority_breaker_state{state="half-open"}')).toBe(0);
    expect(sample(after, 'gateway_taps_in_flight')).toBe(0);
    expect(sample(after, 'gateway_cache_entries{cache="health_fresh"}')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'gateway_cache_entries{cache="tap_replies"}')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'gateway_cache_entries{cache="consents"}')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'gateway_cache_entries{cache="health_last_known"}')).toEqual(
      expect.any(Number),
    );
    expect(sample(after, 'gateway_nats_reconnects_total')).toBe(0);
  });

  it('counts a tap whose commit is held as in flight until it is answered', async () => {
    const gateId = uniqueId('G');
    const held = await holdCommits(testDatabaseUrl(), gateId);
    try {
      const r = await rider(stack.gw.url, stack.authority.url, healthy(Date.now()));
      const code = await rideCode(stack.gw.url, r.riderId);
      const answered = tap(stack.nc, {
        stationId: PILOT,
        gateId,
        credential: { kind: 'ride-code', code },
      });
      await held.untilWaiting();
      expect(await held.waiting()).toBe(1);
      expect(sample(await scrape(stack), 'gateway_taps_in_flight')).toBe(1);
      await held.release();
      await answered;
      expect(sample(await scrape(stack), 'gateway_taps_in_flight')).toBe(0);
    } finally {
      await held.remove();
    }
  });

  it('names each ride-code verifying thread by its id in the operating system, a thread of this process', async () => {
    // The thread says its id once it has started: wait for the event, not for a time.
    let tids: string[] = [];
    for (const deadline = Date.now() + 10_000; tids.length === 0 && Date.now() < deadline;) {
      const text = await scrape(stack);
      tids = [...text.matchAll(/^gateway_ride_code_verifying_thread\{tid="(\d+)"\} 1$/gm)].map(
        ([, tid]) => tid,
      );
      if (tids.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    // One thread by default (RIDE_CODE_VERIFY_THREADS=1); the gateway runs in this test process.
    expect(tids).toHaveLength(1);
    expect(existsSync(`/proc/self/task/${tids[0]}`)).toBe(true);
    expect(Number(tids[0])).not.toBe(process.pid);
  });
});
