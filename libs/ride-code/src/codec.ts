import { randomUUID } from 'node:crypto';
import { SignJWT, errors, jwtVerify, type JWTHeaderParameters, type KeyLike } from 'jose';
import { RIDE_CODE_ALG, type LoadedKeySet } from './keys';

export const RIDE_CODE_TYP = 'ride-code+jwt';
export const RIDE_CODE_AUDIENCE = 'metro-gates';

export interface RideCodeOptions {
  issuer: string;
  ttlSeconds: number;
  leewaySeconds: number;
}

export interface RideCodeClaims {
  /** Pseudonymous rider id. */
  sub: string;
  jti: string;
  iat: number;
  exp: number;
}

export type VerifiedRideCode =
  | { status: 'valid'; claims: RideCodeClaims }
  /** Correctly signed but past its lifetime: still genuine for an exit. */
  | { status: 'expired'; claims: RideCodeClaims }
  | { status: 'invalid' };

/** Small enough that a code expired 1 s ago is refused, large enough for NTP-synced instances. */
export const EXPIRY_LEEWAY_SECONDS = 0.5;

const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Checks codes with public keys only: what a verifying thread needs, and nothing to sign with. */
export class RideCodeVerifier {
  constructor(
    private readonly verifyKeys: ReadonlyMap<string, KeyLike>,
    private readonly options: RideCodeOptions,
  ) {}

  /** Only the gateway's clock counts: `nowMs` comes from it, never from the gate. */
  async verify(code: string, nowMs: number): Promise<VerifiedRideCode> {
    const resolveKey = (header: JWTHeaderParameters): KeyLike => {
      const key =
        header.kid !== undefined && KID_PATTERN.test(header.kid)
          ? this.verifyKeys.get(header.kid)
          : undefined;
      if (!key) throw new errors.JWKSNoMatchingKey();
      return key;
    };
    const base = {
      algorithms: [RIDE_CODE_ALG],
      typ: RIDE_CODE_TYP,
      issuer: this.options.issuer,
      audience: RIDE_CODE_AUDIENCE,
      requiredClaims: ['sub', 'jti', 'iat', 'exp'],
      // Only gateway clocks judge a code, so expiry needs only the skew between instances;
      // the configured leeway applies to iat (see claims()).
      clockTolerance: EXPIRY_LEEWAY_SECONDS,
    };
    try {
      const { payload } = await jwtVerify(code, resolveKey, {
        ...base,
        currentDate: new Date(nowMs),
      });
      const claims = this.claims(payload, nowMs);
      return claims ? { status: 'valid', claims } : { status: 'invalid' };
    } catch (e) {
      if (!(e instanceof errors.JWTExpired)) return { status: 'invalid' };
      // The signature and every other claim checked out before expiry was judged; re-check
      // them at the expiry instant so an expired code is never mistaken for a forged one.
      return this.verifyExpired(code, resolveKey, base, nowMs);
    }
  }

  private async verifyExpired(
    code: string,
    resolveKey: (h: JWTHeaderParameters) => KeyLike,
    base: Parameters<typeof jwtVerify>[2],
    nowMs: number,
  ): Promise<VerifiedRideCode> {
    try {
      const { payload } = await jwtVerify(code, resolveKey, { ...base, currentDate: new Date(0) });
      const claims = this.claims(payload, Number.MAX_SAFE_INTEGER);
      return claims && claims.exp * 1000 <= nowMs
        ? { status: 'expired', claims }
        : { status: 'invalid' };
    } catch {
      return { status: 'invalid' };
    }
  }

  /** Shape and lifetime checks jose does not make: an iat in the future, an over-long life. */
  private claims(payload: Record<string, unknown>, nowMs: number): RideCodeClaims | null {
    const { sub, jti, iat, exp } = payload;
    if (
      typeof sub !== 'string' ||
      typeof jti !== 'string' ||
      typeof iat !== 'number' ||
      typeof exp !== 'number'
    ) {
      return null;
    }
    if (sub.length === 0 || sub.length > 64 || jti.length === 0 || jti.length > 64) return null;
    if (iat * 1000 > nowMs + this.options.leewaySeconds * 1000) return null;
    if (exp - iat > this.options.ttlSeconds) return null;
    return { sub, jti, iat, exp };
  }
}

/** Mints with the active private key; verifies like any other holder of the public keys. */
export class RideCodeCodec {
  private readonly verifier: RideCodeVerifier;

  constructor(
    private readonly keys: LoadedKeySet,
    private readonly options: RideCodeOptions,
  ) {
    this.verifier = new RideCodeVerifier(keys.verifyKeys, options);
  }

  async mint(
    riderId: string,
    nowMs: number,
  ): Promise<{ code: string; expiresAt: number; jti: string }> {
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + this.options.ttlSeconds;
    const jti = randomUUID();
    const code = await new SignJWT({})
      .setProtectedHeader({ alg: RIDE_CODE_ALG, typ: RIDE_CODE_TYP, kid: this.keys.activeKid })
      .setIssuer(this.options.issuer)
      .setAudience(RIDE_CODE_AUDIENCE)
      .setSubject(riderId)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(this.keys.signingKey);
    return { code, expiresAt: exp * 1000, jti };
  }

  verify(code: string, nowMs: number): Promise<VerifiedRideCode> {
    return this.verifier.verify(code, nowMs);
  }
}
