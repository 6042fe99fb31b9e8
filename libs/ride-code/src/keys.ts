import { exportJWK, generateKeyPair, importJWK, type JWK, type KeyLike } from 'jose';

export const RIDE_CODE_ALG = 'ES256';

/**
 * The on-disk key set: private keys sign (only the active one), public parts verify.
 * `environment` says what the keys were made for; production refuses any set not marked
 * `production`, so the keys `npm start` leaves behind never sign a production code.
 */
export interface KeySetFile {
  environment?: 'development' | 'production';
  activeKid: string;
  keys: (JWK & { kid: string })[];
}

export interface LoadedKeySet {
  activeKid: string;
  signingKey: KeyLike;
  /** Imported once at load; a tap never imports a key. */
  verifyKeys: ReadonlyMap<string, KeyLike>;
  /** Public JWKs for /.well-known/jwks.json. */
  publicJwks: JWK[];
}

const publicPart = ({ kty, crv, x, y, kid }: JWK): JWK => ({
  kty,
  crv,
  x,
  y,
  kid,
  alg: RIDE_CODE_ALG,
  use: 'sig',
});

export async function generateKey(kid: string): Promise<JWK & { kid: string }> {
  const { privateKey } = await generateKeyPair(RIDE_CODE_ALG, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: RIDE_CODE_ALG };
}

export async function newKeySet(
  kid = `k${Date.now().toString(36)}`,
  environment: 'development' | 'production' = 'development',
): Promise<KeySetFile> {
  return { environment, activeKid: kid, keys: [await generateKey(kid)] };
}

/**
 * Adds a fresh active key; old keys stay so codes they signed verify until they expire.
 * The set keeps its environment: rotating development keys never makes production ones.
 */
export async function rotate(
  set: KeySetFile,
  kid = `k${Date.now().toString(36)}`,
): Promise<KeySetFile> {
  return {
    environment: set.environment ?? 'development',
    activeKid: kid,
    keys: [await generateKey(kid), ...set.keys],
  };
}

/** Public keys by kid, imported once: a tap never imports a key. */
export async function loadVerifyKeys(jwks: JWK[]): Promise<Map<string, KeyLike>> {
  const verifyKeys = new Map<string, KeyLike>();
  for (const jwk of jwks) {
    if (jwk.kid === undefined) throw new Error('ride-code key set: a key has no kid');
    verifyKeys.set(jwk.kid, (await importJWK(publicPart(jwk), RIDE_CODE_ALG)) as KeyLike);
  }
  return verifyKeys;
}

export async function loadKeySet(file: KeySetFile): Promise<LoadedKeySet> {
  const active = file.keys.find((k) => k.kid === file.activeKid);
  if (!active?.d)
    throw new Error(`ride-code key set: active key ${file.activeKid} has no private part`);
  return {
    activeKid: file.activeKid,
    signingKey: (await importJWK(active, RIDE_CODE_ALG)) as KeyLike,
    verifyKeys: await loadVerifyKeys(file.keys),
    publicJwks: file.keys.map(publicPart),
  };
}
