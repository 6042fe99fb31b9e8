/**
 * Ride-code signing keys.
 *   npm run keys -- init     create the key file if it is missing
 *   npm run keys -- rotate   add a new active key; old keys keep verifying until removed
 *   npm run keys -- prune    keep only the active key (once codes of older keys have expired)
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
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
      if (existing) return;
      next = await newKeySet();
      break;
    case 'rotate':
      next = existing ? await rotate(existing) : await newKeySet();
      break;
    case 'prune':
      if (!existing) throw new Error(`no key file at ${file}`);
      next = { activeKid: existing.activeKid, keys: existing.keys.filter((k) => k.kid === existing.activeKid) };
      break;
    default:
      throw new Error(`unknown command "${cmd}": use init, rotate or prune`);
  }
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(next, null, 2), { mode: 0o600 });
  process.stdout.write(`ride-code keys: ${cmd} -> active ${next.activeKid} (${next.keys.length} key(s)) in ${file}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`keys: ${(e as Error).message}\n`);
  process.exit(1);
});
