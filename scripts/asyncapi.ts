/**
 * npm run asyncapi [-- --check]: writes docs/asyncapi.json, the gate protocol as AsyncAPI 3.0,
 * generated from libs/protocol. With --check it writes nothing and fails when the file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';
import { gateProtocolAsyncApi } from '../libs/protocol/src/asyncapi';

export const ASYNCAPI_FILE = join(__dirname, '..', 'docs', 'asyncapi.json');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  // Formatted as the repository's prettier would, so the lint check and this one agree.
  const options = (await resolveConfig(ASYNCAPI_FILE)) ?? {};
  const text = await format(JSON.stringify(gateProtocolAsyncApi()), {
    ...options,
    filepath: ASYNCAPI_FILE,
  });
  if (values.check) {
    let current = '';
    try {
      current = readFileSync(ASYNCAPI_FILE, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== text) {
      process.stderr.write('docs/asyncapi.json is stale: run npm run asyncapi\n');
      process.exit(1);
    }
    return;
  }
  writeFileSync(ASYNCAPI_FILE, text);
  process.stdout.write('wrote docs/asyncapi.json\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`asyncapi: ${(e as Error).message}\n`);
  process.exit(1);
});
