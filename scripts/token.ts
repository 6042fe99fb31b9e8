/**
 * Mints a bearer token from the development key, for the demo, tests and curl:
 *   npm run -s token -- rider <riderUuid>
 *   npm run -s token -- staff <staffId> <stationId>
 *   npm run -s token -- operator <operatorId>
 *   npm run -s token -- authority <officerId>
 */
import { readFile } from 'node:fs/promises';
import {
  ROLES,
  accessSigner,
  mintAccessToken,
  type AccessKeyFile,
  type Role,
} from '../libs/access-token/src';

async function main(): Promise<void> {
  const [role, sub, station] = process.argv.slice(2);
  if (!(ROLES as readonly string[]).includes(role) || !sub || (role === 'staff' && !station)) {
    throw new Error('usage: token <rider|staff|operator|authority> <subject> [station, for staff]');
  }
  const file = process.env.ACCESS_KEYS_FILE || '.data/keys/access-keys.json';
  const keys = JSON.parse(await readFile(file, 'utf8')) as AccessKeyFile;
  const signer = await accessSigner(keys, process.env.ACCESS_ISSUER || undefined);
  const ttl = Number(process.env.TOKEN_TTL_SECONDS || 3600);
  process.stdout.write(
    `${await mintAccessToken(signer, { sub, role: role as Role, station }, ttl)}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`token: ${(e as Error).message}\n`);
  process.exit(1);
});
