import { SignJWT } from 'jose';
import {
  ACCESS_AUDIENCE,
  DEV_ISSUER,
  accessSigner,
  accessVerifier,
  newAccessKeyFile,
  verifyAccessToken,
  type AccessSigner,
  type AccessVerifier,
} from '.';

const POLICY = { maxAgeSeconds: 3600 };

describe('verifyAccessToken: a token lives at most the policy maximum', () => {
  let signer: AccessSigner;
  let verifier: AccessVerifier;
  const nowS = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    const file = await newAccessKeyFile('unit');
    signer = await accessSigner(file);
    verifier = await accessVerifier(file);
  });

  /** A token with exactly these time claims (undefined leaves the claim out). */
  const token = (claims: { iat?: number; exp?: number }) =>
    new SignJWT({
      role: 'operator',
      ...Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined)),
    })
      .setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ: 'JWT' })
      .setIssuer(DEV_ISSUER)
      .setAudience(ACCESS_AUDIENCE)
      .setSubject('op-1')
      .sign(signer.key);

  it('accepts a token of the maximum lifetime, and says when it expires', async () => {
    const iat = nowS();
    const r = await verifyAccessToken(verifier, await token({ iat, exp: iat + 3600 }), POLICY);
    expect(r).toEqual({
      ok: true,
      principal: {
        sub: 'op-1',
        role: 'operator',
        station: undefined,
        expiresAt: (iat + 3600) * 1000,
      },
    });
  });

  it.each([
    ['a lifetime one second longer than the maximum', () => ({ iat: nowS(), exp: nowS() + 3601 })],
    ['a lifetime of a year', () => ({ iat: nowS(), exp: nowS() + 365 * 86_400 })],
    ['no iat', () => ({ exp: nowS() + 600 })],
    ['no exp', () => ({ iat: nowS() })],
    ['neither', () => ({})],
    ['an iat in the future', () => ({ iat: nowS() + 120, exp: nowS() + 600 })],
    ['an iat older than the maximum age', () => ({ iat: nowS() - 3700, exp: nowS() + 60 })],
    ['an exp in the past', () => ({ iat: nowS() - 600, exp: nowS() - 60 })],
  ])('refuses %s', async (_name, claims) => {
    const r = await verifyAccessToken(verifier, await token(claims()), POLICY);
    expect(r.ok).toBe(false);
  });

  it('holds a shorter maximum too', async () => {
    const iat = nowS();
    const t = await token({ iat, exp: iat + 900 });
    expect((await verifyAccessToken(verifier, t, { maxAgeSeconds: 900 })).ok).toBe(true);
    expect(await verifyAccessToken(verifier, t, { maxAgeSeconds: 600 })).toEqual({
      ok: false,
      why: 'token lifetime exceeds 600 s',
    });
  });
});
