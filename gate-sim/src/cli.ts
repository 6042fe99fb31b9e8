/**
 * gate-sim: simulated fare gates on raw NATS.
 *   demo (default)  the scripted morning rush at S0312 Zhongshan Park and S0105 People's Square
 *
 * Exit codes: 0 the run completed; 1 the run failed (a tap never answered, seeding failed);
 * 2 bad arguments or a service unreachable; 3 with --strict, replies differed from the script.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs as parseCommandLine } from 'node:util';
import { SingleBar, Presets } from 'cli-progress';
import { connect, type NatsConnection } from 'nats';
import { accessSigner, mintAccessToken, type AccessKeyFile } from '../../libs/access-token/src';
import {
  AuthorityClient,
  GatewayClient,
  HttpError,
  UnreachableError,
  type Caller,
} from './clients';
import { TapUnansweredError } from './gate';
import { runPaths } from './paths';
import { RUSH_STATIONS } from './population';
import { runRush, type Progress } from './rush';
import { cancelChange, printShadow, scheduleChange } from './schedule-change';

export interface DemoArgs {
  command: 'demo';
  json: string | null;
  riders: number;
  seed: number;
  gateway: string;
  authority: string;
  authorityKey: string;
  nats: string;
  strict: boolean;
  scheduleChange: boolean;
}

const USAGE = `usage: gate-sim [demo] [--riders N] [--seed N] [--json FILE] [--strict] [--schedule-change]
                [--gateway URL] [--authority URL] [--authority-key KEY] [--nats URL]

  --riders N          riders in the rush, split over the two stations (default 400)
  --seed N            seed of the rider mix (default 20220601); identity numbers are fresh each run
  --json FILE         also write the summary as JSON
  --strict            exit 3 when a reply differs from what the script expects
  --schedule-change   as operator, schedule a 48 h window at S0312 before the rush, print its
                      shadow counts after it, then cancel it
  --gateway URL       default $GATEWAY_URL or http://127.0.0.1:3000
  --authority URL     default $AUTHORITY_URL or http://127.0.0.1:3100
  --authority-key KEY default $AUTHORITY_API_KEY or dev-authority-key
  --nats URL          default $NATS_URL or nats://127.0.0.1:4222`;

class UsageError extends Error {}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): DemoArgs {
  let parsed: ReturnType<typeof parseDemoLine>;
  try {
    parsed = parseDemoLine(argv);
  } catch (err) {
    // node:util names the problem (unknown option, missing value); usage follows it.
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1 || (positionals.length === 1 && positionals[0] !== 'demo'))
    throw new UsageError(`unknown argument: ${positionals.find((p) => p !== 'demo') ?? ''}`);
  const int = (flag: string, raw: string | undefined, min: number, dflt: number): number => {
    if (raw === undefined) return dflt;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(n) || n < min)
      throw new UsageError(`--${flag} must be an integer >= ${min}, got ${raw}`);
    return n;
  };
  return {
    command: 'demo',
    json: values.json ?? null,
    riders: int('riders', values.riders, 1, 400),
    seed: int('seed', values.seed, 0, 20220601),
    gateway: values.gateway ?? (env.GATEWAY_URL || 'http://127.0.0.1:3000'),
    authority: values.authority ?? (env.AUTHORITY_URL || 'http://127.0.0.1:3100'),
    authorityKey: values['authority-key'] ?? (env.AUTHORITY_API_KEY || 'dev-authority-key'),
    nats: values.nats ?? (env.NATS_URL || 'nats://127.0.0.1:4222'),
    strict: values.strict === true,
    scheduleChange: values['schedule-change'] === true,
  };
}

function parseDemoLine(argv: readonly string[]) {
  return parseCommandLine({
    args: [...argv],
    options: {
      json: { type: 'string' },
      riders: { type: 'string' },
      seed: { type: 'string' },
      gateway: { type: 'string' },
      authority: { type: 'string' },
      'authority-key': { type: 'string' },
      nats: { type: 'string' },
      strict: { type: 'boolean' },
      'schedule-change': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
}

/** A bar on a terminal; a few plain lines (every quarter) in logs and CI. */
function makeProgress(): Progress {
  if (process.stdout.isTTY) {
    let bar: SingleBar | null = null;
    return {
      start(label, total) {
        bar = new SingleBar(
          {
            format: `${label.padEnd(15)} [{bar}] {value}/{total} {percentage}% | {duration_formatted}`,
            hideCursor: true,
            clearOnComplete: false,
          },
          Presets.shades_classic,
        );
        bar.start(total, 0);
      },
      increment() {
        bar?.increment();
      },
      stop() {
        bar?.stop();
        bar = null;
      },
    };
  }
  let label = '';
  let total = 0;
  let done = 0;
  let nextQuarter = 1;
  return {
    start(l, t) {
      label = l;
      total = t;
      done = 0;
      nextQuarter = 1;
      console.log(`${label}: 0/${total}`);
    },
    increment() {
      done += 1;
      while (total > 0 && nextQuarter <= 3 && done >= (total * nextQuarter) / 4) {
        console.log(`${label}: ${done}/${total}`);
        nextQuarter += 1;
      }
    },
    stop() {
      if (label) console.log(`${label}: ${done}/${total} done`);
      label = '';
    },
  };
}

async function reachable(what: string, url: string, probe: () => Promise<unknown>): Promise<void> {
  try {
    await probe();
  } catch (err) {
    const detail =
      err instanceof HttpError
        ? `GET /health answered ${err.status}`
        : err instanceof UnreachableError
          ? err.message.replace(/^.*unreachable: /, '')
          : String(err);
    throw new Error(`${what} at ${url} is not ready (${detail}); is it running? (npm start)`);
  }
}

/**
 * Tokens from the development identity key (`npm run keys -- init` makes it), as the metro
 * app's login would issue them; one per caller, reused for the run.
 */
async function devTokens(): Promise<(c: Caller) => Promise<string>> {
  const file = process.env.ACCESS_KEYS_FILE || '.data/keys/access-keys.json';
  const signer = await accessSigner(
    JSON.parse(readFileSync(file, 'utf8')) as AccessKeyFile,
    process.env.ACCESS_ISSUER || undefined,
  );
  const cache = new Map<string, Promise<string>>();
  return (c) => {
    const key = `${c.role}:${c.sub}:${c.station ?? ''}`;
    let t = cache.get(key);
    if (!t) cache.set(key, (t = mintAccessToken(signer, c, 3600)));
    return t;
  };
}

export async function demo(args: DemoArgs): Promise<number> {
  const gateway = new GatewayClient(args.gateway, { token: await devTokens() });
  const authority = new AuthorityClient(args.authority, args.authorityKey);
  try {
    await reachable('the gateway', args.gateway, () => gateway.health());
    await reachable('the health authority', args.authority, () => authority.health());
  } catch (err) {
    console.error(`gate-sim: ${(err as Error).message}`);
    return 2;
  }

  let nc: NatsConnection;
  try {
    nc = await connect({ servers: args.nats, name: 'gate-sim', maxReconnectAttempts: -1 });
  } catch (err) {
    console.error(
      `gate-sim: cannot connect to NATS at ${args.nats}: ${(err as Error).message} (is it running? npm run services)`,
    );
    return 2;
  }

  const stations = RUSH_STATIONS.map(
    (s) => `${s.stationId} ${s.name} (${s.oneCodeEnabled ? 'one-code riding' : 'not enabled'})`,
  );
  console.log(
    `Morning rush: ${args.riders} riders, seed ${args.seed}, 4 gates each at ${stations.join(' and ')}`,
  );
  const change = args.scheduleChange ? await scheduleChange(gateway) : null;
  try {
    const result = await runRush(
      { nc, gateway, authority },
      { riders: args.riders, seed: args.seed, progress: makeProgress() },
    );
    const paths = await runPaths(
      { nc, gateway, authority },
      { riders: args.riders, summary: result.summary },
    );
    const json = result.summary.toJson();
    console.log('');
    console.log(result.summary.toTable());
    console.log(`\n${paths.toTable()}`);
    console.log(
      `\nseeded in ${(result.durationMs.seeding / 1000).toFixed(1)} s; ${json.taps} taps at ${result.gates} gates in ${(result.durationMs.taps / 1000).toFixed(1)} s`,
    );
    if (args.json) {
      mkdirSync(dirname(args.json), { recursive: true });
      const full = { ...json, paths: paths.toJson() };
      writeFileSync(args.json, `${JSON.stringify(full, null, 2)}\n`);
      console.log(`summary written to ${args.json}`);
    }
    const scripted =
      json.expectations.met === json.expectations.checked &&
      json.idempotentRetries.identical === json.idempotentRetries.sent;
    if (!scripted) console.log('note: some replies differ from the script (listed above)');
    if (change) await printShadow(gateway, change);
    return args.strict && !scripted ? 3 : 0;
  } catch (err) {
    if (err instanceof TapUnansweredError)
      console.error(`gate-sim: a tap was never answered: ${err.message}`);
    else if (err instanceof UnreachableError) console.error(`gate-sim: ${err.message}`);
    else if (err instanceof HttpError) console.error(`gate-sim: request failed: ${err.message}`);
    else console.error('gate-sim: run failed:', err);
    return 1;
  } finally {
    if (change) await cancelChange(gateway, change);
    await nc.drain().catch(() => undefined);
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let args: DemoArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`gate-sim: ${err.message}\n${USAGE}`);
    return 2;
  }
  return demo(args);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error('gate-sim: unexpected failure:', err);
      process.exit(1);
    },
  );
}
