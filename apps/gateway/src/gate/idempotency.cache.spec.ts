import type { GateReply } from '@app/protocol';
import { IdempotencyCache } from './idempotency.cache';
import { malformedReply, reply } from './replies';

const ctx = { tapId: 't-1', decidedAt: Date.UTC(2022, 5, 1, 0, 0, 0, 12), policyVersion: 'v1' };

describe('IdempotencyCache', () => {
  let cache: IdempotencyCache;
  beforeEach(() => (cache = new IdempotencyCache({ idempotencyWindowMinutes: 10 })));
  afterEach(() => cache.onModuleDestroy());

  // The retry must get the reply byte for byte, though the cache keeps only what rebuilds it.
  it.each<[string, GateReply]>([
    ['an open entry', reply(ctx, 'open', [], '0f8e7c1e-8d7a-4f1e-9a57-0c5a7b1b2f3c')],
    ['an open exit', reply(ctx, 'open', [])],
    ['a deny', reply(ctx, 'deny', ['CODE_REPLAYED'])],
    [
      'a see-staff with two reasons',
      reply(ctx, 'see-staff', ['TEMPERATURE_HIGH', 'HEALTH_CODE_NOT_GREEN']),
    ],
    ['a reply without policy', reply({ ...ctx, policyVersion: null }, 'deny', ['CODE_INVALID'])],
    ['a reply without tap id', malformedReply(undefined, ctx.decidedAt)],
  ])('answers a retry of %s with the same JSON', async (_name, first) => {
    const decide = jest.fn(() => Promise.resolve(first));
    const got = await cache.run(`S1/G1/${_name}`, decide);
    const again = await cache.run(`S1/G1/${_name}`, decide);
    expect(JSON.stringify(again)).toBe(JSON.stringify(first));
    expect(got).toBe(first);
    expect(decide).toHaveBeenCalledTimes(1);
  });

  it('gives each retry its own object', async () => {
    const first = reply(ctx, 'deny', ['ALREADY_INSIDE']);
    await cache.run('S1/G1/t-1', () => Promise.resolve(first));
    const a = await cache.run('S1/G1/t-1', () => Promise.reject(new Error('not again')));
    a.reasons.push('CODE_INVALID');
    const b = await cache.run('S1/G1/t-1', () => Promise.reject(new Error('not again')));
    expect(b.reasons).toEqual(['ALREADY_INSIDE']);
  });

  it('decides a tap once while it is still being decided', async () => {
    let finish!: (r: GateReply) => void;
    const decide = jest.fn(() => new Promise<GateReply>((resolve) => (finish = resolve)));
    const both = Promise.all([cache.run('S1/G1/t-2', decide), cache.run('S1/G1/t-2', decide)]);
    expect(cache.inFlight).toBe(1);
    finish(reply(ctx, 'open', []));
    const [a, b] = await both;
    expect(a).toBe(b);
    expect(decide).toHaveBeenCalledTimes(1);
  });

  it('does not remember a record outage, so the retry tries again', async () => {
    const outage = reply(ctx, 'see-staff', ['RECORD_UNAVAILABLE']);
    const open = reply(ctx, 'open', []);
    await cache.run('S1/G1/t-3', () => Promise.resolve(outage));
    await expect(cache.run('S1/G1/t-3', () => Promise.resolve(open))).resolves.toBe(open);
    expect(cache.remembered).toBe(1);
  });
});
