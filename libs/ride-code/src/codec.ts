import { KeyObject, randomUUID, verify, type webcrypto } from 'node:crypto';
import { SignJWT, type KeyLike } from 'jose';
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
const CLAIM_ID_MAX = 64;

type Checked = { ok: true; claims: RideCodeClaims } | { ok: false; expired: RideCodeClaims | null };
const INVALID: Checked = { ok: false, expired: null };

/** A JSON object from a base64url segment, or null for anything else. */
function jsonObject(segment: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

const normalizeTyp = (typ: string): string => typ.toLowerCase().replace(/^application\//, '');

/**
 * Checks codes with public keys only: what a verifying thread needs, and nothing to sign with.
 *
 * A ride code is a compact JWS that only this gateway mints, so the check is the short list a
 * JWT library would make for these options (alg, typ, kid, signature, iss, aud, required
 * claims, iat/nbf/exp), done with `crypto.verify` on keys imported once. It is synchronous: on
 * a verifying thread that is OpenSSL's own cost, where a library's asynchronous verify hops to
 * the libuv pool and back for every code. Minting and key handling stay with jose.
 */
export class RideCodeVerifier {
  private readonly keys: ReadonlyMap<string, KeyObject>;

  constructor(
    verifyKeys: ReadonlyMap<string, KeyLike>,
    private readonly options: RideCodeOptions,
  ) {
    this.keys = new Map(
      [...verifyKeys].map(([kid, key]) => [
        kid,
        key instanceof KeyObject ? key : KeyObject.from(key as unknown as webcrypto.CryptoKey),
      ]),
    );
  }

  /** Only the gateway's clock counts: `nowMs` comes from it, never from the gate. */
  async verify(code: string, nowMs: number): Promise<VerifiedRideCode> {
    return this.verifyNow(code, nowMs);
  }

  /** The same check, synchronously: for a thread whose only job is this. */
  verifyNow(code: string, nowMs: number): VerifiedRideCode {
    const checked = this.check(code, nowMs);
    if (checked.ok) return { status: 'valid', claims: checked.claims };
    return checked.expired ? { status: 'expired', claims: checked.expired } : { status: 'invalid' };
  }

  private check(code: string, nowMs: number): Checked {
    if (typeof code !== 'string') return INVALID;
    const first = code.indexOf('.');
    const second = code.indexOf('.', first + 1);
    if (first < 0 || second < 0 || code.indexOf('.', second + 1) >= 0) return INVALID;
    const header = jsonObject(code.slice(0, first));
    // A header that asks for extensions (crit) or an unencoded payload is not one we mint.
    if (header === null || header.alg !== RIDE_CODE_ALG || header.crit !== undefined)
      return INVALID;
    if (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== RIDE_CODE_TYP)
      return INVALID;
    const key =
      typeof header.kid === 'string' && KID_PATTERN.test(header.kid)
        ? this.keys.get(header.kid)
        : undefined;
    if (key === undefined) return INVALID;
    const signature = Buffer.from(code.slice(second + 1), 'base64url');
    let genuine = false;
    try {
      genuine = verify(
        'sha256',
        Buffer.from(code.slice(0, second), 'latin1'),
        { key, dsaEncoding: 'ieee-p1363' },
        signature,
      );
    } catch {
      genuine = false;
    }
    if (!genuine) return INVALID;
    const payload = jsonObject(code.slice(first + 1, second));
    return payload === null ? INVALID : this.claims(payload, nowMs);
  }

  /**
   * The claims of a genuine code. An expired code is reported only when every other check
   * passes, so an expired code is never mistaken for a forged one, nor a forged one for expired.
   */
  private claims(payload: Record<string, unknown>, nowMs: number): Checked {
    const { sub, jti, iat, exp, nbf, iss, aud } = payload;
    if (iss !== this.options.issuer) return INVALID;
    const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (!audiences.includes(RIDE_CODE_AUDIENCE)) return INVALID;
    if (typeof sub !== 'string' || typeof jti !== 'string') return INVALID;
    if (typeof iat !== 'number' || typeof exp !== 'number') return INVALID;
    if (sub.length === 0 || sub.length > CLAIM_ID_MAX) return INVALID;
    if (jti.length === 0 || jti.length > CLAIM_ID_MAX) return INVALID;
    if (exp - iat > this.options.ttlSeconds) return INVALID;
    const claims = { sub, jti, iat, exp };
    const now = Math.floor(nowMs / 1000);
    if (exp <= now - EXPIRY_LEEWAY_SECONDS) {
      // Genuine but past its lifetime: still a way out. An expired code is judged as at the
      // epoch, as it always was, so one carrying an nbf (we never mint one) is not genuine.
      const unbounded =
        nbf === undefined || (typeof nbf === 'number' && nbf <= EXPIRY_LEEWAY_SECONDS);
      return unbounded ? { ok: false, expired: claims } : INVALID;
    }
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + EXPIRY_LEEWAY_SECONDS))
      return INVALID;
    // Only gateway clocks judge a code, so expiry needs only the skew between instances; the
    // configured leeway applies to a code issued in the future.
    if (iat * 1000 > nowMs + this.options.leewaySeconds * 1000) return INVALID;
    return { ok: true, claims };
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
