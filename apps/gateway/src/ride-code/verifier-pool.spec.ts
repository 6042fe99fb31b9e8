import {
  RideCodeCodec,
  RideCodeVerifier,
  loadKeySet,
  newKeySet,
  type LoadedKeySet,
  type RideCodeOptions,
} from '@app/ride-code';
import { createLogger } from '../common/logger';
import { OFFLOAD_MIN_BATCH, RideCodeVerifierPool } from './verifier-pool';

const options: RideCodeOptions = { issuer: 'test-gateway', ttlSeconds: 60, leewaySeconds: 2 };
const now = Date.UTC(2022, 5, 1, 8, 0, 0);

/** Real threads, real ES256: what the pool answers must be what the main thread would. */
describe('RideCodeVerifierPool', () => {
  let keys: LoadedKeySet;
  let codec: RideCodeCodec;
  let local: RideCodeVerifier;
  const pools: RideCodeVerifierPool[] = [];

  beforeAll(async () => {
    keys = await loadKeySet(await newKeySet('pool-test'));
    codec = new RideCodeCodec(keys, options);
    local = new RideCodeVerifier(keys.verifyKeys, options);
  });
  afterAll(() => Promise.all(pools.map((p) => p.close())));

  const pool = (jwks = keys.publicJwks, threads = 1) => {
    const p = new RideCodeVerifierPool(local, { jwks, options }, threads, createLogger('silent'));
    pools.push(p);
    return p;
  };

  /** A burst of codes as the gate sees them: valid, expired, forged and garbage. */
  async function burst(): Promise<{ code: string; at: number }[]> {
    const fresh = await codec.mint('rider-1', now);
    const old = await codec.mint('rider-2', now - 120_000);
    const forged = `${fresh.code.slice(0, -4)}AAAA`;
    return [
      { code: fresh.code, at: now },
      { code: old.code, at: now },
      { code: forged, at: now },
      { code: 'not-a-code', at: now },
      { code: fresh.code, at: now + 61_000 },
    ];
  }

  it('verifies a burst on its thread with the same results as the main thread', async () => {
    const p = pool();
    const codes = await burst();
    expect(codes.length).toBeGreaterThanOrEqual(OFFLOAD_MIN_BATCH);
    const got = await Promise.all(codes.map((c) => p.verify(c.code, c.at)));
    const want = await Promise.all(codes.map((c) => local.verify(c.code, c.at)));
    expect(got).toEqual(want);
    expect(got.map((r) => r.status)).toEqual(['valid', 'expired', 'invalid', 'invalid', 'expired']);
    expect(p.offloaded).toBe(codes.length);
  }, 30_000);

  it('answers the codes out on its thread at close, and later ones on the main thread', async () => {
    const p = pool();
    const codes = await burst();
    const out = Promise.all(codes.map((c) => p.verify(c.code, c.at)));
    await Promise.resolve(); // the burst leaves for the thread
    expect(p.offloaded).toBe(codes.length);
    await p.close();
    const statuses = ['valid', 'expired', 'invalid', 'invalid', 'expired'];
    expect((await out).map((r) => r.status)).toEqual(statuses);
    const later = await Promise.all(codes.map((c) => p.verify(c.code, c.at)));
    expect(later.map((r) => r.status)).toEqual(statuses);
    expect(p.offloaded).toBe(codes.length);
  }, 30_000);

  it('keeps a lone code on the main thread', async () => {
    const p = pool();
    const { code } = await codec.mint('rider-3', now);
    await expect(p.verify(code, now)).resolves.toMatchObject({ status: 'valid' });
    expect(p.offloaded).toBe(0);
  });

  it('verifies every code on the main thread with no threads', async () => {
    const p = pool(keys.publicJwks, 0);
    const codes = await burst();
    const got = await Promise.all(codes.map((c) => p.verify(c.code, c.at)));
    expect(got.map((r) => r.status)).toEqual(['valid', 'expired', 'invalid', 'invalid', 'expired']);
    expect(p.offloaded).toBe(0);
  });

  it('answers from the main thread when its thread dies, then stops starting threads that cannot start', async () => {
    // A key the thread cannot import makes every thread die as it starts.
    const p = pool([{ kty: 'EC', crv: 'P-256', x: 'broken', y: 'broken', kid: 'pool-test' }]);
    const codes = await burst();
    const got = await Promise.all(codes.map((c) => p.verify(c.code, c.at)));
    expect(got.map((r) => r.status)).toEqual(['valid', 'expired', 'invalid', 'invalid', 'expired']);
    expect(p.offloaded).toBe(codes.length);

    while (p.threadCount > 0) await new Promise((r) => setTimeout(r, 50));
    const again = await Promise.all(codes.map((c) => p.verify(c.code, c.at)));
    expect(again).toEqual(got);
    expect(p.offloaded).toBe(codes.length);
  }, 30_000);
});
