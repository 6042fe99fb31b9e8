/**
 * Mints a bearer token from the development key, for the demo, tests and curl:
 *   npm run -s token -- rider <riderUuid>
 *   npm run -s token -- staff <staffId> <stationId>
 *   npm run -s token -- operator <operatorId>
 *   npm run -s token -- authority <officerId>
 * TOKEN_TTL_SECONDS (default 3600) may not exceed what the gateway accepts
 * (ACCESS_TOKEN_MAX_AGE_SECONDS, default 3600). Production tokens come from the identity
 * provider: with NODE_ENV=production, or with a key file not made for development, this refuses.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  ROLES,
  accessSigner,
  mintAccessToken,
  type AccessKeyFile,
  type Role,
} from '../libs/access-token/src';

const DEFAULT_TTL_SECONDS = 3600;
const MIN_TTL_SECONDS = 60;

/** The lifetime asked for, refused (never silently shortened) beyond what the gateway accepts. */
export function tokenTtl(env: NodeJS.ProcessEnv): number {
  const maxRaw = env.ACCESS_TOKEN_MAX_AGE_SECONDS;
  const max = maxRaw ? Number(maxRaw) : DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(max) || max < MIN_TTL_SECONDS)
    throw new Error(`ACCESS_TOKEN_MAX_AGE_SECONDS must be an integer >= ${MIN_TTL_SECONDS}`);
  const raw = env.TOKEN_TTL_SECONDS;
  const ttl = raw ? Number(raw) : Math.min(DEFAULT_TTL_SECONDS, max);
  if (!Number.isInteger(ttl) || ttl < MIN_TTL_SECONDS || ttl > max)
    throw new Error(
      `TOKEN_TTL_SECONDS must be an integer in ${MIN_TTL_SECONDS}..${max} (the gateway refuses longer-lived tokens), got "${raw}"`,
    );
  return ttl;
}

async function main(): Promise<void> {
  if (process.env.NODE_ENV === 'production')
    throw new Error(
      'refused with NODE_ENV=production: production tokens come from the identity provider',
    );
  const usage = 'usage: token <rider|staff|operator|authority> <subject> [station, for staff]';
  const { positionals, values } = parseArgs({
    args: process.argv.slice(2),
    options: { help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const [role, sub, station] = positionals;
  if (
    !(ROLES as readonly string[]).includes(role) ||
    !sub ||
    (role === 'staff' ? !station || positionals.length > 3 : positionals.length > 2)
  ) {
    throw new Error(usage);
  }
  const ttl = tokenTtl(process.env);
  const file = process.env.ACCESS_KEYS_FILE || '.data/keys/access-keys.json';
  const keys = JSON.parse(await readFile(file, 'utf8')) as AccessKeyFile;
  if (keys.environment === 'production')
    throw new Error(`${file} is marked production: this script signs with development keys only`);
  const signer = await accessSigner(keys, process.env.ACCESS_ISSUER || undefined);
  process.stdout.write(
    `${await mintAccessToken(signer, { sub, role: role as Role, station }, ttl)}\n`,
  );
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`token: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
