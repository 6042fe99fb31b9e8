import {
  SignJWT,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  type JWK,
  type KeyLike,
} from 'jose';

/** Bearer tokens for the HTTP API: ES256 JWTs from the identity provider (a dev key locally). */
export const ACCESS_ALG = 'ES256';
export const ACCESS_AUDIENCE = 'fare-gateway';
export const DEV_ISSUER = 'one-code-ride-dev-idp';

export const ROLES = ['rider', 'staff', 'operator', 'authority'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  sub: string;
  role: Role;
  /** Staff act only at their own station. */
  station?: string;
  /** When the token that proved this principal expires (ms since epoch); set by verification. */
  expiresAt?: number;
}

/**
 * `development` marks the signing key `npm start` creates, which production refuses: a gateway
 * verifies the identity provider's public keys and never holds a private one.
 */
export interface AccessKeyFile {
  environment?: 'development' | 'production';
  keys: (JWK & { kid: string })[];
}

export interface AccessVerifier {
  issuer: string;
  keys: ReadonlyMap<string, KeyLike>;
}

export interface AccessSigner {
  issuer: string;
  kid: string;
  key: KeyLike;
}

/** A development identity provider's signing key (private part included), marked as such. */
export async function newAccessKeyFile(kid = 'dev-1'): Promise<AccessKeyFile> {
  const { privateKey } = await generateKeyPair(ACCESS_ALG, { extractable: true });
  return {
    environment: 'development',
    keys: [{ ...(await exportJWK(privateKey)), kid, alg: ACCESS_ALG }],
  };
}

export async function accessVerifier(
  file: AccessKeyFile,
  issuer = DEV_ISSUER,
): Promise<AccessVerifier> {
  const keys = new Map<string, KeyLike>();
  for (const { kty, crv, x, y, kid } of file.keys) {
    keys.set(kid, (await importJWK({ kty, crv, x, y }, ACCESS_ALG)) as KeyLike);
  }
  return { issuer, keys };
}

export async function accessSigner(
  file: AccessKeyFile,
  issuer = DEV_ISSUER,
): Promise<AccessSigner> {
  const jwk = file.keys.find((k) => k.d !== undefined);
  if (!jwk) throw new Error('access key file has no private key to sign with');
  return { issuer, kid: jwk.kid, key: (await importJWK(jwk, ACCESS_ALG)) as KeyLike };
}

export function mintAccessToken(
  signer: AccessSigner,
  p: Principal,
  ttlSeconds = 3600,
): Promise<string> {
  const claims: Record<string, unknown> = { role: p.role };
  if (p.station !== undefined) claims.station = p.station;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ACCESS_ALG, kid: signer.kid, typ: 'JWT' })
    .setIssuer(signer.issuer)
    .setAudience(ACCESS_AUDIENCE)
    .setSubject(p.sub)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(signer.key);
}

export type VerifiedAccess = { ok: true; principal: Principal } | { ok: false; why: string };

/** Clocks of the identity provider and the gateway may disagree by this much. */
export const ACCESS_CLOCK_TOLERANCE_SECONDS = 5;

export interface AccessPolicy {
  /** The longest lifetime (exp - iat) and age (now - iat) a token may have. */
  maxAgeSeconds: number;
}

/**
 * A token is accepted only with `iat` and `exp`, a lifetime (exp - iat) of at most the policy's
 * maximum age, and an `iat` neither older than that nor in the future: a leaked token is useful
 * for a bounded time whatever lifetime its issuer wrote into it.
 */
export async function verifyAccessToken(
  v: AccessVerifier,
  token: string,
  policy: AccessPolicy,
): Promise<VerifiedAccess> {
  try {
    const { payload } = await jwtVerify(
      token,
      (h) => {
        const key = h.kid !== undefined ? v.keys.get(h.kid) : undefined;
        if (!key) throw new errors.JWKSNoMatchingKey();
        return key;
      },
      {
        algorithms: [ACCESS_ALG],
        issuer: v.issuer,
        audience: ACCESS_AUDIENCE,
        requiredClaims: ['sub', 'iat', 'exp'],
        maxTokenAge: policy.maxAgeSeconds,
        clockTolerance: ACCESS_CLOCK_TOLERANCE_SECONDS,
      },
    );
    const { iat, exp } = payload as { iat: number; exp: number };
    if (exp - iat > policy.maxAgeSeconds)
      return { ok: false, why: `token lifetime exceeds ${policy.maxAgeSeconds} s` };
    const role = payload.role;
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role))
      return { ok: false, why: 'token has no valid role' };
    const station = typeof payload.station === 'string' ? payload.station : undefined;
    if (role === 'staff' && station === undefined)
      return { ok: false, why: 'staff token has no station' };
    return {
      ok: true,
      principal: { sub: payload.sub as string, role: role as Role, station, expiresAt: exp * 1000 },
    };
  } catch (e) {
    return {
      ok: false,
      why: e instanceof errors.JWTExpired ? 'token expired' : 'token is not valid',
    };
  }
}
