import { sign, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { errors, jwtVerify, type JWTHeaderParameters, type KeyLike } from 'jose';
import {
  EXPIRY_LEEWAY_SECONDS,
  RIDE_CODE_AUDIENCE,
  RIDE_CODE_TYP,
  RideCodeCodec,
  RideCodeVerifier,
  type RideCodeOptions,
  type VerifiedRideCode,
} from './codec';
import { loadKeySet, newKeySet, type LoadedKeySet } from './keys';

const options: RideCodeOptions = { issuer: 'test-gateway', ttlSeconds: 60, leewaySeconds: 2 };
const now = Date.UTC(2022, 5, 1, 8, 0, 0);
const nowS = now / 1000;

/**
 * The check as a JWT library makes it, with the same options: the verifier must agree with it
 * on every code, genuine or not.
 */
async function joseReference(
  keys: ReadonlyMap<string, KeyLike>,
  code: string,
  nowMs: number,
): Promise<VerifiedRideCode> {
  const resolveKey = (header: JWTHeaderParameters): KeyLike => {
    const key =
      header.kid !== undefined && /^[A-Za-z0-9_-]{1,64}$/.test(header.kid)
        ? keys.get(header.kid)
        : undefined;
    if (!key) throw new errors.JWKSNoMatchingKey();
    return key;
  };
  const base = {
    algorithms: ['ES256'],
    typ: RIDE_CODE_TYP,
    issuer: options.issuer,
    audience: RIDE_CODE_AUDIENCE,
    requiredClaims: ['sub', 'jti', 'iat', 'exp'],
    clockTolerance: EXPIRY_LEEWAY_SECONDS,
  };
  const shape = (p: Record<string, unknown>, at: number) => {
    const { sub, jti, iat, exp } = p;
    if (typeof sub !== 'string' || typeof jti !== 'string') return null;
    if (typeof iat !== 'number' || typeof exp !== 'number') return null;
    if (sub.length === 0 || sub.length > 64 || jti.length === 0 || jti.length > 64) return null;
    if (iat * 1000 > at + options.leewaySeconds * 1000) return null;
    if (exp - iat > options.ttlSeconds) return null;
    return { sub, jti, iat, exp };
  };
  try {
    const { payload } = await jwtVerify(code, resolveKey, {
      ...base,
      currentDate: new Date(nowMs),
    });
    const claims = shape(payload, nowMs);
    return claims ? { status: 'valid', claims } : { status: 'invalid' };
  } catch (e) {
    if (!(e instanceof errors.JWTExpired)) return { status: 'invalid' };
    try {
      const { payload } = await jwtVerify(code, resolveKey, { ...base, currentDate: new Date(0) });
      const claims = shape(payload, Number.MAX_SAFE_INTEGER);
      return claims && claims.exp * 1000 <= nowMs
        ? { status: 'expired', claims }
        : { status: 'invalid' };
    } catch {
      return { status: 'invalid' };
    }
  }
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('RideCodeVerifier', () => {
  let keys: LoadedKeySet;
  let stranger: LoadedKeySet;
  let verifier: RideCodeVerifier;

  beforeAll(async () => {
    keys = await loadKeySet(await newKeySet('k1'));
    stranger = await loadKeySet(await newKeySet('k1'));
    verifier = new RideCodeVerifier(keys.verifyKeys, options);
  });

  it('accepts what the codec mints, until it expires, and keeps it genuine after', async () => {
    const { code, jti } = await new RideCodeCodec(keys, options).mint('rider-1', now);
    expect(verifier.verifyNow(code, now)).toEqual({
      status: 'valid',
      claims: { sub: 'rider-1', jti, iat: nowS, exp: nowS + 60 },
    });
    expect(verifier.verifyNow(code, now + 60_499).status).toBe('valid');
    expect(verifier.verifyNow(code, now + 61_000).status).toBe('expired');
    await expect(verifier.verify(code, now)).resolves.toMatchObject({ status: 'valid' });
  });

  // Every field a forger controls, drawn at random, signed by our key or a stranger's, then
  // possibly tampered with: the verifier and the library must say the same thing.
  /** Mostly the good value, so that genuine, expired and forged codes all come up often. */
  const mostly = <T>(good: T, ...bad: T[]) =>
    fc.oneof(
      { arbitrary: fc.constant(good), weight: 12 },
      { arbitrary: fc.constantFrom(...bad), weight: 1 },
    );
  const header = fc.record({
    alg: mostly('ES256', 'ES384', 'HS256', 'none', 'es256'),
    typ: mostly<string | undefined>(
      RIDE_CODE_TYP,
      'application/ride-code+jwt',
      'RIDE-CODE+JWT',
      'JWT',
      '',
      undefined,
    ),
    kid: mostly<string | undefined>('k1', 'k2', '../k1', 'k1\u0000', '', undefined),
    crit: mostly<string[] | undefined>(undefined, ['exp']),
    b64: mostly<boolean | undefined>(undefined, false, true),
  });
  const claim = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<unknown>) =>
    fc.oneof(
      { arbitrary: good, weight: 16 },
      { arbitrary: bad, weight: 1 },
      { arbitrary: fc.constant(undefined), weight: 1 },
    );
  const payload = fc.record({
    iss: claim(fc.constant(options.issuer), fc.constantFrom('someone-else', 7)),
    aud: claim(
      fc.constantFrom(RIDE_CODE_AUDIENCE, [RIDE_CODE_AUDIENCE, 'x']),
      fc.constantFrom(['x'], 'bus-gates', 1),
    ),
    sub: claim(
      fc.string({ minLength: 1, maxLength: 64 }),
      fc.oneof(fc.string({ minLength: 65, maxLength: 70 }), fc.constant(''), fc.integer()),
    ),
    jti: claim(fc.uuid(), fc.oneof(fc.constant(null), fc.constant(''))),
    iat: claim(
      fc.integer({ min: -90, max: 4 }).map((d) => nowS + d),
      fc.oneof(
        fc.string(),
        fc.integer({ min: 11, max: 200 }).map((d) => nowS + d),
      ),
    ),
    life: fc.oneof(fc.constant(60), fc.integer({ min: -5, max: 70 })),
    nbf: fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 12 },
      { arbitrary: fc.integer({ min: -100, max: 100 }).map((d) => nowS + d), weight: 2 },
      { arbitrary: fc.string(), weight: 1 },
    ),
  });
  const tamper = mostly('none', 'payload', 'signature', 'drop-signature', 'extra');

  it('agrees with the JWT library on arbitrary codes, forged and genuine', async () => {
    const seen = { valid: 0, expired: 0, invalid: 0 };
    await fc.assert(
      fc.asyncProperty(
        header,
        payload,
        mostly(true, false),
        tamper,
        fc.oneof(
          fc.integer({ min: -3_000, max: 3_000 }),
          fc.integer({ min: -30_000, max: 90_000 }),
        ),
        async (h, p, ours, how, skewMs) => {
          const { life, ...claims } = p;
          const body = {
            ...claims,
            exp: typeof claims.iat === 'number' ? claims.iat + life : nowS + life,
          };
          const signer = ours ? keys.signingKey : stranger.signingKey;
          // Signed by hand, so headers a JWT library would refuse to sign are tried too.
          const input = `${b64(h)}.${b64(body)}`;
          const sig = sign('sha256', Buffer.from(input), {
            key: signer as KeyObject,
            dsaEncoding: 'ieee-p1363',
          });
          let code = `${input}.${sig.toString('base64url')}`;
          const [hs, ps, ss] = code.split('.');
          if (how === 'payload') code = `${hs}.${b64({ ...body, sub: 'someone' })}.${ss}`;
          if (how === 'signature') code = `${hs}.${ps}.${ss.slice(0, -2)}AA`;
          if (how === 'drop-signature') code = `${hs}.${ps}`;
          if (how === 'extra') code = `${code}.x`;
          const at = now + skewMs;
          const got = verifier.verifyNow(code, at);
          expect(got).toEqual(await joseReference(keys.verifyKeys, code, at));
          seen[got.status]++;
        },
      ),
      { numRuns: 600 },
    );
    // The property says something only if every answer came up often.
    expect(Math.min(seen.valid, seen.expired, seen.invalid)).toBeGreaterThan(30);
  }, 60_000);

  it.each([
    ['garbage', 'not-a-code'],
    ['an empty string', ''],
    ['three empty segments', '..'],
    ['a header that is not JSON', `${Buffer.from('{').toString('base64url')}.e30.AA`],
    ['a header that is an array', `${b64(['ES256'])}.e30.AA`],
  ])('calls %s invalid', (_name, code) => {
    expect(verifier.verifyNow(code, now)).toEqual({ status: 'invalid' });
  });
});
