#!/usr/bin/env node
// npm run test:faults [-- --report FILE] [jest args]: the fault suite on real processes.
// Each scenario starts its own NATS, PostgreSQL, authority and gateways (from source, so no
// build step), kills or restarts them by PID, and prints its figures; --report FILE also writes
// them as a Markdown table. Runs the long profile unless FAULTS_PROFILE is set (npm test sets
// FAULTS_PROFILE=short, which skips the 30 s NATS outage).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { bin, callerPath, die, mustRun, run, runMain, tokenWords } from './lib.mjs';

async function main() {
  const { tokens } = parseArgs({
    options: { report: { type: 'string' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  let report = null;
  const jestArgs = [];
  for (const t of tokens) {
    if (t.kind === 'option' && t.name === 'report') {
      if (t.value === undefined) die('test:faults: --report needs a file');
      report = callerPath(t.value);
    } else jestArgs.push(...tokenWords(t));
  }
  await mustRun(
    'npm run services -- --test',
    process.execPath,
    ['scripts/services.mjs', '--test'],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const dir = mkdtempSync(join(tmpdir(), 'gateway-faults-'));
  try {
    const figures = join(dir, 'figures.jsonl');
    const env = { ...process.env, FAULTS_REPORT_JSONL: figures };
    // --forceExit: a scenario whose teardown failed must not keep the run from ending.
    const args = ['--selectProjects', 'faults', '--runInBand', '--forceExit', ...jestArgs];
    const status = (await run(bin('jest'), args, { env })) === 0 ? 0 : 1;
    if (report) {
      mkdirSync(dirname(report), { recursive: true });
      await mustRun('the report', bin('ts-node'), [
        'test/faults/support/report.ts',
        figures,
        report,
      ]);
    }
    return status;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain('test:faults', main);
