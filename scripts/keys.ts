/**
 * Ride-code signing keys (and, on init, the development identity provider's token key).
 *   npm run keys -- init     create the key file if it is missing
 *   npm run keys -- rotate   add a new active key; old keys keep verifying until removed
 *   npm run keys -- prune    keep only the active key (once codes of older keys have expired)
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { newAccessKeyFile } from '../libs/access-token/src';
import { newKeySet, rotate, type KeySetFile } from '../libs/ride-code/src';

async function main(): Promise<void> {
  const file = process.env.RIDE_CODE_KEYS_FILE || '.data/keys/ride-code-keys.json';
  const cmd = process.argv[2] ?? 'init';
  const existing = await readFile(file, 'utf8')
    .then((t) => JSON.parse(t) as KeySetFile)
    .catch(() => null);
  let next: KeySetFile;
  switch (cmd) {
    case 'init':
      await initAccessKeys();
      if (existing) return;
      next = await newKeySet();
      break;
    case 'rotate':
      next = existing ? await rotate(existing) : await newKeySet();
      break;
    case 'prune':
      if (!existing) throw new Error(`no key file at ${file}`);
      next = {
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
    `ride-code keys: ${cmd} -> active ${next.activeKid} (${next.keys.length} key(s)) in ${file}\n`,
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
