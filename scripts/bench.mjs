#!/usr/bin/env node
// npm run bench [-- --json FILE --plot FILE --riders N --quick --levels 1,16,256 --log-level L]:
// the gateway against a raw NATS echo, on compiled JavaScript (see gate-sim/src/bench/bench.ts).
import { parseArgs } from 'node:util';
import { build, callerPath, distArgs, mustRun, run, runMain, tokenWords } from './lib.mjs';

async function main() {
  // Only the file arguments are read here (relative to where npm was called); bench.ts checks
  // every argument itself.
  const { tokens } = parseArgs({
    options: { json: { type: 'string' }, plot: { type: 'string' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const args = [];
  for (const t of tokens) {
    if (t.kind === 'option' && (t.name === 'json' || t.name === 'plot') && t.value !== undefined)
      args.push(`--${t.name}`, callerPath(t.value));
    else args.push(...tokenWords(t));
  }
  process.env.BENCH_DATABASE_URL ||= 'postgres://postgres@127.0.0.1:5432/gateway_bench';
  await mustRun('npm run services', process.execPath, ['scripts/services.mjs']);
  await build();
  return run(process.execPath, [...distArgs('gate-sim/src/bench/bench.js'), ...args], {
    env: { ...process.env },
  });
}

runMain('bench', main);
