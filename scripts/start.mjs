#!/usr/bin/env node
// npm start: the health-authority stand-in and the gateway, in the foreground.
// Ctrl-C (or SIGTERM) stops both; the gateway drains its in-flight taps first.
// Runs the compiled JavaScript: ts-node would keep the TypeScript compiler in every process.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { build, distArgs, mustRun, runMain } from './lib.mjs';

const HELP = `usage: npm start [-- --no-services] [-- --no-build]
  Starts PostgreSQL and NATS when needed (npm run services), builds once, creates development
  keys when missing, then runs the authority stand-in and the gateway until Ctrl-C.
  --no-services   use DATABASE_URL and NATS_URL as they are
  --no-build      run dist as it is`;

/** Past the gateway's drain (SHUTDOWN_GRACE_MS) and a margin, a child is killed. */
const killAfterMs = () => Number(process.env.SHUTDOWN_GRACE_MS || 10_000) + 5_000;

async function main() {
  const { values } = parseArgs({
    options: {
      'no-services': { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values['no-services'])
    await mustRun('npm run services', process.execPath, ['scripts/services.mjs']);
  if (!values['no-build']) await build();
  const env = { ...process.env };
  await mustRun('keys init', process.execPath, [...distArgs('scripts/keys.js'), 'init'], { env });

  // Each child in a process group of its own, so a signal reaches it once: from here.
  const opts = { stdio: ['ignore', 'inherit', 'inherit'], env, detached: true };
  const children = [
    spawn(process.execPath, distArgs('apps/health-authority/src/main.js'), opts),
    spawn(process.execPath, distArgs('apps/gateway/src/main.js'), opts),
  ];
  const running = (c) => c.exitCode === null && c.signalCode === null;
  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    for (const c of children) if (running(c)) c.kill(signal);
    setTimeout(() => {
      for (const c of children) if (running(c)) c.kill('SIGKILL');
    }, killAfterMs()).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGTERM'));
  // Either process ending ends the pair; the exit code is the first one's.
  const exits = children.map(
    (c) => new Promise((done) => c.once('exit', (code, sig) => done(code ?? (sig ? 1 : 0)))),
  );
  const first = await Promise.race(exits);
  stop('SIGTERM');
  await Promise.all(exits);
  return first;
}

runMain('start', main);
