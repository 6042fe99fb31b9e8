import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys, type Authenticator } from 'nats';
import { ConfigError } from './config';
import { natsSecurityOptions } from './nats-auth';

const none = { credsFile: null, nkeySeedFile: null, tls: null };

describe('natsSecurityOptions: NATS credential and TLS files, checked at boot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nats-auth-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  const user = nkeys.createUser();
  const seed = new TextDecoder().decode(user.getSeed());
  const creds = [
    '-----BEGIN NATS USER JWT-----',
    'eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVQSJ9.c2ln',
    '------END NATS USER JWT------',
    '',
    '-----BEGIN USER NKEY SEED-----',
    seed,
    '------END USER NKEY SEED------',
    '',
  ].join('\n');

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives no authenticator and no TLS when none is configured', () => {
    expect(natsSecurityOptions(none)).toEqual({});
  });

  it('signs the server nonce with the NKey seed in NATS_NKEY_SEED_FILE', () => {
    const opts = natsSecurityOptions({ ...none, nkeySeedFile: file('user.nk', `${seed}\n`) });
    const auth = (opts.authenticator as Authenticator)('nonce-1') as { nkey: string; sig: string };
    expect(auth.nkey).toBe(user.getPublicKey());
    expect(user.verify(new TextEncoder().encode('nonce-1'), nkeys.decode(auth.sig))).toBe(true);
  });

  it('uses the JWT and seed of NATS_CREDS_FILE', () => {
    const opts = natsSecurityOptions({ ...none, credsFile: file('user.creds', creds) });
    const auth = (opts.authenticator as Authenticator)('nonce-2') as { jwt: string; nkey: string };
    expect(auth.jwt).toMatch(/^eyJ/);
    expect(auth.nkey).toBe(user.getPublicKey());
  });

  it.each<[string, Parameters<typeof natsSecurityOptions>[0], RegExp]>([
    [
      'a seed file holding a public key',
      { ...none, nkeySeedFile: file('pub.nk', user.getPublicKey()) },
      /NATS_NKEY_SEED_FILE .* does not hold a user NKey seed/,
    ],
    [
      'a creds file without a JWT',
      { ...none, credsFile: file('bad.creds', seed) },
      /NATS_CREDS_FILE .* is not a NATS credentials file/,
    ],
    [
      'a missing creds file',
      { ...none, credsFile: join(dir, 'absent.creds') },
      /NATS_CREDS_FILE .* cannot be read/,
    ],
    [
      'a missing CA file',
      { ...none, tls: { caFile: join(dir, 'absent.pem'), certFile: null, keyFile: null } },
      /NATS_TLS_CA_FILE .* cannot be read/,
    ],
  ])('refuses %s, naming the variable', (_what, security, message) => {
    expect(() => natsSecurityOptions(security)).toThrow(ConfigError);
    expect(() => natsSecurityOptions(security)).toThrow(message);
  });

  it('never repeats a secret file in its refusal', () => {
    const leaked = file('leak.nk', `not-a-seed ${seed.slice(0, 20)}`);
    expect(() => natsSecurityOptions({ ...none, nkeySeedFile: leaked })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(seed.slice(0, 20)) }),
    );
  });

  it('passes the TLS files to the client', () => {
    const ca = file('ca.pem', 'ca');
    const cert = file('cert.pem', 'cert');
    const key = file('key.pem', 'key');
    expect(
      natsSecurityOptions({ ...none, tls: { caFile: ca, certFile: cert, keyFile: key } }),
    ).toEqual({
      tls: { caFile: ca, certFile: cert, keyFile: key },
    });
  });
});
