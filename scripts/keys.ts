/**
 * Ride-code signing keys (and, on init, the development identity provider's token key).
 *   npm run keys -- init     create the key file if it is missing
 *   npm run keys -- rotate   add a new active key; old keys keep verifying until removed
 *   npm run keys -- prune    keep only the active key (once codes of older keys have expired)
 * Files are marked with the environment they were made for: `development` unless NODE_ENV is
 * `production` (then RIDE_CODE_KEYS_FILE must be named and no development token key is made).
 * A production gateway refuses key sets not marked `production`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { newAccessKeyFile } from '../libs/access-token/src';
import { newKeySet, rotate, type KeySetFile } from '../libs/ride-code/src';

const production = process.env.NODE_ENV === 'production';
const environment = production ? 'production' : 'development';

async function main(): Promise<void> {
  if (production && !process.env.RIDE_CODE_KEYS_FILE)
    throw new Error('NODE_ENV=production: set RIDE_CODE_KEYS_FILE to where the keys belong');
  const file = process.env.RIDE_CODE_KEYS_FILE || '.data/keys/ride-code-keys.json';
  const { positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 1) throw new Error('usage: keys [init|rotate|prune]');
  const cmd = positionals[0] ?? 'init';
  const existing = await readFile(file, 'utf8')
    .then((t) => JSON.parse(t) as KeySetFile)
    .catch(() => null);
  let next: KeySetFile;
  switch (cmd) {
    case 'init':
      // Production verifies the identity provider's public keys: no token key is made there.
      if (!production) await initAccessKeys();
      if (existing) return;
      next = await newKeySet(undefined, environment);
      break;
    case 'rotate':
      next = existing ? await rotate(existing) : await newKeySet(undefined, environment);
      break;
    case 'prune':
      if (!existing) throw new Error(`no key file at ${file}`);
      next = {
        ...existing,
        activeKid: existing.activeKid,
        keys: existing.keys.filter((k) => k.kid === existing.activeKid),
      };
      break;
    default:
      throw new Error(`unknown command "${cmd}": use init, rotate or prune`);
  }
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(next, null, 2), { mode: 0o600 });
  process.stdout.write(
    `ride-code keys: ${cmd} -> active ${next.activeKid} (${next.keys.length} key(s), ` +
      `${next.environment ?? 'development'}) in ${file}\n`,
  );
}

/** A development signing key for bearer tokens; production verifies the real IdP's keys. */
async function initAccessKeys(): Promise<void> {
  const file = process.env.ACCESS_KEYS_FILE || '.data/keys/access-keys.json';
  if (
    await readFile(file).then(
      () => true,
      () => false,
    )
  )
    return;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(await newAccessKeyFile(), null, 2), { mode: 0o600 });
  process.stdout.write(`access-token dev key created in ${file}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`keys: ${(e as Error).message}\n`);
  process.exit(1);
});
