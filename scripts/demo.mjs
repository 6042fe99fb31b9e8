#!/usr/bin/env node
// npm run demo [-- --json out.json --riders N --seed N ...]: the scripted morning rush.
// Makes sure PostgreSQL and NATS are up, starts the gateway and the health authority (npm start)
// unless they already answer on their ports, runs gate-sim against them, and stops what it started.
// Arguments other than --json go to gate-sim as they are (npm run demo -- --help lists them).
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  build,
  callerPath,
  die,
  distArgs,
  httpOk,
  mustRun,
  run,
  runMain,
  sleep,
  tcpOpen,
  tokenWords,
} from './lib.mjs';

const LOG = '.data/logs/demo-gateway.log';
const WAIT_MS = 60_000;
const STOP_MS = Number(process.env.SHUTDOWN_GRACE_MS || 10_000) + 10_000;

/** gate-sim's arguments, with a relative --json made relative to where npm was called. */
export function gateSimArgs(argv) {
  const { tokens } = parseArgs({
    args: argv,
    options: { json: { type: 'string' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const out = [];
  for (const t of tokens) {
    if (t.kind === 'option' && t.name === 'json') {
      if (t.value === undefined) die('demo: --json needs a file');
      out.push('--json', callerPath(t.value));
    } else {
      out.push(...tokenWords(t));
    }
  }
  return out;
}

function logTail() {
  try {
    const lines = readFileSync(LOG, 'utf8').split('\n').slice(-40).join('\n');
    process.stderr.write(`--- last lines of ${LOG} ---\n${lines}\n`);
  } catch {
    /* nothing logged */
  }
}

async function main() {
  const args = gateSimArgs(process.argv.slice(2));
  if (args.includes('--help') || args.includes('-h')) {
    await build();
    return run(process.execPath, [...distArgs('gate-sim/src/cli.js'), '--help'], {
      env: { ...process.env },
    });
  }
  const port = process.env.PORT || '3000';
  const authorityPort = process.env.AUTHORITY_PORT || '3100';
  process.env.PORT = port;
  process.env.AUTHORITY_PORT = authorityPort;
  process.env.GATEWAY_URL ||= `http://127.0.0.1:${port}`;
  process.env.AUTHORITY_URL ||= `http://127.0.0.1:${authorityPort}`;
  const gatewayHealth = `http://127.0.0.1:${port}/health`;
  const authorityHealth = `http://127.0.0.1:${authorityPort}/health`;

  await mustRun('npm run services', process.execPath, ['scripts/services.mjs']);
  await build();
  const env = { ...process.env };

  const gatewayBusy = await tcpOpen('127.0.0.1', Number(port));
  const authorityBusy = await tcpOpen('127.0.0.1', Number(authorityPort));
  let started = null;
  if (gatewayBusy && authorityBusy) {
    console.log(
      `demo: something already listens on ports ${port} and ${authorityPort}; using the running gateway and authority`,
    );
  } else if (gatewayBusy || authorityBusy) {
    const [busy, free] = gatewayBusy ? [port, authorityPort] : [authorityPort, port];
    die(
      `demo: port ${busy} is in use but nothing listens on ${free}, so npm start cannot run here. Stop what uses port ${busy}, or start both services yourself (npm start), or set PORT/AUTHORITY_PORT.`,
    );
  } else {
    // The gateway's admin listener (Prometheus) needs its own port too.
    const adminPort = process.env.ADMIN_PORT || '9464';
    if (await tcpOpen('127.0.0.1', Number(adminPort)))
      die(
        `demo: port ${adminPort} (the gateway's admin port, ADMIN_PORT) is in use, so npm start cannot run here. Stop what uses it or set ADMIN_PORT.`,
      );
    mkdirSync('.data/logs', { recursive: true });
    console.log(`demo: starting the gateway and authority (npm start); log: ${LOG}`);
    const log = openSync(LOG, 'a');
    started = spawn(process.execPath, ['scripts/start.mjs', '--no-services', '--no-build'], {
      stdio: ['ignore', log, log],
      env,
    });
  }
  const exited = started
    ? new Promise((done) => started.once('exit', (code) => done(code)))
    : new Promise(() => undefined);
  let startedGone = false;
  void exited.then(() => (startedGone = true));

  const stopStarted = async () => {
    if (!started || startedGone) return;
    console.log('demo: stopping the gateway and authority it started');
    started.kill('SIGTERM');
    const timer = sleep(STOP_MS).then(() => 'timeout');
    if ((await Promise.race([exited, timer])) === 'timeout') {
      console.log(`demo: still running after ${STOP_MS / 1000} s, sending SIGKILL`);
      started.kill('SIGKILL');
      await exited;
    }
  };
  const onSignal = (code) => () => void stopStarted().then(() => process.exit(code));
  process.once('SIGINT', onSignal(130));
  process.once('SIGTERM', onSignal(143));

  try {
    const deadline = Date.now() + WAIT_MS;
    while (!((await httpOk(gatewayHealth)) && (await httpOk(authorityHealth)))) {
      if (startedGone) {
        logTail();
        die('demo: npm start exited before the services answered');
      }
      if (Date.now() >= deadline) {
        if (started) logTail();
        die(
          `demo: ${gatewayHealth} and ${authorityHealth} did not both answer 200 within ${WAIT_MS / 1000} s`,
        );
      }
      await sleep(500);
    }
    console.log('demo: gateway and authority are up');
    return await run(process.execPath, [...distArgs('gate-sim/src/cli.js'), 'demo', ...args], {
      env,
    });
  } finally {
    await stopStarted();
  }
}

runMain('demo', main);
