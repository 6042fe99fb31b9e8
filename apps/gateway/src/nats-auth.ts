import { readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, type ConnectionOptions } from 'nats';
import { ConfigError, type NatsSecurity } from './config';

function read(file: string, variable: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`${variable} (${file}) cannot be read`);
  }
}

const CREDS_JWT = /-----BEGIN NATS USER JWT-----\s*\S+\s*------END NATS USER JWT------/;
const CREDS_SEED = /-----BEGIN USER NKEY SEED-----\s*SU[A-Z2-7]+\s*------END USER NKEY SEED------/;
const NKEY_SEED = /^SU[A-Z2-7]{56}$/;

/**
 * The connection options for NATS_CREDS_FILE, NATS_NKEY_SEED_FILE and NATS_TLS_*: every file is
 * read and its form checked now, at boot, so a wrong path or a swapped file stops the process
 * with its variable named, instead of an authorization error on every reconnect. The file
 * contents are never repeated in an error: they are secrets.
 */
export function natsSecurityOptions(s: NatsSecurity): Partial<ConnectionOptions> {
  const opts: Partial<ConnectionOptions> = {};
  if (s.credsFile !== null) {
    const creds = read(s.credsFile, 'NATS_CREDS_FILE');
    if (!CREDS_JWT.test(creds) || !CREDS_SEED.test(creds))
      throw new ConfigError(
        `NATS_CREDS_FILE (${s.credsFile}) is not a NATS credentials file (a user JWT and a user NKey seed)`,
      );
    opts.authenticator = credsAuthenticator(new TextEncoder().encode(creds));
  } else if (s.nkeySeedFile !== null) {
    const seed = read(s.nkeySeedFile, 'NATS_NKEY_SEED_FILE').trim();
    if (!NKEY_SEED.test(seed))
      throw new ConfigError(
        `NATS_NKEY_SEED_FILE (${s.nkeySeedFile}) does not hold a user NKey seed (SU followed by 56 characters)`,
      );
    opts.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
  }
  if (s.tls !== null) {
    const { caFile, certFile, keyFile } = s.tls;
    if (caFile !== null) read(caFile, 'NATS_TLS_CA_FILE');
    if (certFile !== null) read(certFile, 'NATS_TLS_CERT_FILE');
    if (keyFile !== null) read(keyFile, 'NATS_TLS_KEY_FILE');
    opts.tls = {
      ...(caFile !== null ? { caFile } : {}),
      ...(certFile !== null ? { certFile } : {}),
      ...(keyFile !== null ? { keyFile } : {}),
    };
  }
  return opts;
}
