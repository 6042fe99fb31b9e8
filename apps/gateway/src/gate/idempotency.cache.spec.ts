import type { GateReply } from '@app/protocol';
import { IdempotencyCache } from './idempotency.cache';
import { reply } from './replies';

const at = Date.UTC(2022, 5, 1, 0, 0, 0, 12);
const ctx = (tapId: string, policyVersion: string | null = 'v1') => ({
  tapId,
  decidedAt: at,
  policyVersion,
  policyHash: policyVersion === null ? null : `hash-of-${policyVersion}`,
});

describe('IdempotencyCache', () => {
  let cache: IdempotencyCache;
  beforeEach(() => (cache = new IdempotencyCache({ idempotencyWindowMinutes: 10 })));
  afterEach(() => cache.onModuleDestroy());

  // The retry must get the reply byte for byte, though the cache keeps only what rebuilds it.
  it.each<[string, GateReply]>([
    ['open-entry', reply(ctx('open-entry'), 'open', [], '0f8e7c1e-8d7a-4f1e-9a57-0c5a7b1b2f3c')],
    ['open-exit', reply(ctx('open-exit'), 'open', [])],
    ['deny', reply(ctx('deny'), 'deny', ['CODE_REPLAYED'])],
    [
      'see-staff-two-reasons',
      reply(ctx('see-staff-two-reasons'), 'see-staff', [
        'TEMPERATURE_HIGH',
        'HEALTH_CODE_NOT_GREEN',
      ]),
    ],
    ['no-policy', reply(ctx('no-policy', null), 'deny', ['CODE_INVALID'])],
  ])('answers a retry of tap %s with the same JSON', async (tapId, first) => {
    const decide = jest.fn(() => Promise.resolve(first));
    const got = await cache.run('S1/G1', tapId, decide);
    const again = await cache.run('S1/G1', tapId, decide);
    expect(JSON.stringify(again)).toBe(JSON.stringify(first));
    expect(got).toBe(first);
    expect(decide).toHaveBeenCalledTimes(1);
  });

  it('keeps taps of different devices apart', async () => {
    await cache.run('S1/G1', 'tap-0001', () => Promise.resolve(reply(ctx('tap-0001'), 'open', [])));
    const other = reply(ctx('tap-0001'), 'deny', ['ALREADY_INSIDE']);
    await expect(cache.run('S1/G2', 'tap-0001', () => Promise.resolve(other))).resolves.toBe(other);
  });

  it('gives each retry its own object', async () => {
    const first = reply(ctx('tap-0002'), 'deny', ['ALREADY_INSIDE']);
    const never = () => Promise.reject(new Error('decided twice'));
    await cache.run('S1/G1', 'tap-0002', () => Promise.resolve(first));
    const a = await cache.run('S1/G1', 'tap-0002', never);
    a.reasons.push('CODE_INVALID');
    const b = await cache.run('S1/G1', 'tap-0002', never);
    expect(b.reasons).toEqual(['ALREADY_INSIDE']);
  });

  it('decides a tap once while it is still being decided', async () => {
    let finish!: (r: GateReply) => void;
    const decide = jest.fn(() => new Promise<GateReply>((resolve) => (finish = resolve)));
    const both = Promise.all([
      cache.run('S1/G1', 'tap-0003', decide),
      cache.run('S1/G1', 'tap-0003', decide),
    ]);
    expect(cache.inFlight).toBe(1);
    finish(reply(ctx('tap-0003'), 'open', []));
    const [a, b] = await both;
    expect(a).toBe(b);
    expect(decide).toHaveBeenCalledTimes(1);
  });

  it('does not remember a record outage, so the retry tries again', async () => {
    const outage = reply(ctx('tap-0004'), 'see-staff', ['RECORD_UNAVAILABLE']);
    const open = reply(ctx('tap-0004'), 'open', []);
    await cache.run('S1/G1', 'tap-0004', () => Promise.resolve(outage));
    await expect(cache.run('S1/G1', 'tap-0004', () => Promise.resolve(open))).resolves.toBe(open);
    expect(cache.remembered).toBe(1);
  });
});
