/**
 * npm run bench [-- --json FILE --plot FILE --riders N --quick --levels 1,16,256]
 *
 * Runs the real gateway and authority (as processes) on real PostgreSQL and NATS, seeds
 * distinct riders, and drives gate taps at 1, 16 and 256 in flight. In the same run it measures
 * a raw NATS echo with the same message sizes: on a shared 2-core machine that echo is the limit.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { connect, type NatsConnection } from 'nats';
import { Client, Pool } from 'pg';
import { newAccessKeyFile } from '../../../libs/access-token/src';
import { runMigrations } from '../../../libs/persistence/src';
import { RideCodeCodec, loadKeySet, newKeySet } from '../../../libs/ride-code/src';
import { tapSubject } from '../../../libs/protocol/src';
import { PrivateNats, freePort, natsServerBinary } from '../private-nats';
import { runLoad, type LoadResult } from './load';
import { PERCENTILES, percentileSvg, type Series } from './plot';
import { ServiceProcess, cpuMicrosOf, postgresCpuMicros } from './processes';
import { seedRiders, type BenchRider } from './seed';

interface Args {
  riders: number;
  json: string | null;
  plot: string | null;
  quick: boolean;
  logLevel: string;
  /** Only these in-flight levels (e.g. `--levels 1,16`); the warm-up always runs. */
  levels: number[] | null;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    riders: 100_000,
    json: null,
    plot: null,
    quick: false,
    logLevel: 'warn',
    levels: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--riders':
        a.riders = Number(v);
        i++;
        break;
      case '--json':
        a.json = v;
        i++;
        break;
      case '--plot':
        a.plot = v;
        i++;
        break;
      case '--log-level':
        a.logLevel = v;
        i++;
        break;
      case '--levels':
        a.levels = v.split(',').map(Number);
        i++;
        break;
      case '--quick':
        a.quick = true;
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (a.quick && a.riders === 100_000) a.riders = 25_000;
  return a;
}

const STATION = 'S0312';
const GATES = Array.from({ length: 32 }, (_, i) => `G${String(i + 1).padStart(2, '0')}`);
const ID_HASH_KEY = 'bench-id-hash-key-0123456789';
const AUTHORITY_KEY = 'bench-authority-key';

interface LevelReport {
  level: string;
  inFlight: number;
  instances: number;
  taps: number;
  decisionsPerSec: number;
  echoPerSec: number;
  ratioToEcho: number;
  latencyMs: { p50: number; p99: number; p999: number; max: number };
  echoLatencyMs: { p50: number; p99: number; p999: number };
  p99OverEchoP99: number;
  cpuMicrosPerDecision: number | null;
  /** The health-authority stand-in's CPU per decision: where the rest of the time goes. */
  authorityCpuMicrosPerDecision: number;
  /** PostgreSQL's CPU per decision (every server process). */
  postgresCpuMicrosPerDecision: number;
  /** The private NATS server's, when the benchmark runs one (else null). */
  natsCpuMicrosPerDecision: number | null;
  /** This process's: the load generator. */
  generatorCpuMicrosPerDecision: number;
  /** All of the above at the measured rate, in cores: how much of the machine the run used. */
  coresBusy: number;
  outcomes: Record<string, number>;
  checkInRows: number;
  openReplies: number;
}

const ms = (h: LoadResult['histogram'], p: number) =>
  Math.round(h.getValueAtPercentile(p) / 10) / 100;

async function ensureDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = u.pathname.slice(1);
  u.pathname = '/postgres';
  const c = new Client({ connectionString: u.toString() });
  await c.connect();
  const found = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (found.rowCount === 0) await c.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  await c.end();
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dbUrl =
    process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/gateway_bench';
  const tty = process.stdout.isTTY === true;
  const say = (s: string) => process.stdout.write(`${s}\n`);

  await ensureDatabase(dbUrl);
  await runMigrations(dbUrl);
  const pool = new Pool({ connectionString: dbUrl, max: 4 });
  await pool.query(
    'TRUNCATE riders, health_links, check_ins, tap_receipts, ride_code_uses, journeys CASCADE',
  );

  // A NATS of the benchmark's own, so a gateway someone has running cannot take its taps.
  const privateNats = natsServerBinary() ? await PrivateNats.start() : null;
  const natsPid = privateNats?.pid;
  const natsUrl = privateNats?.url ?? (process.env.NATS_URL || 'nats://127.0.0.1:4222');

  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  const keySetFile = await newKeySet('bench-1');
  writeFileSync(join(dir, 'ride-code-keys.json'), JSON.stringify(keySetFile));
  writeFileSync(join(dir, 'access-keys.json'), JSON.stringify(await newAccessKeyFile('bench')));
  const codec = new RideCodeCodec(await loadKeySet(keySetFile), {
    issuer: 'one-code-ride-gateway',
    ttlSeconds: 600,
    leewaySeconds: 2,
  });

  const authorityPort = await freePort();
  // e.g. BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof" to find where a decision's time
  // goes; BENCH_AUTHORITY_NODE_ARGS the same for the authority stand-in.
  const nodeArgsOf = (name: string) => (process.env[name] ?? '').split(' ').filter(Boolean);
  const authority = ServiceProcess.start(
    'authority',
    'dist/apps/health-authority/src/main.js',
    {
      AUTHORITY_PORT: String(authorityPort),
      AUTHORITY_API_KEY: AUTHORITY_KEY,
      NATS_URL: natsUrl,
      LOG_LEVEL: 'warn',
    },
    nodeArgsOf('BENCH_AUTHORITY_NODE_ARGS'),
  );
  const authorityUrl = `http://127.0.0.1:${authorityPort}`;
  const gatewayEnv = (port: number) => ({
    PORT: String(port),
    DATABASE_URL: dbUrl,
    NATS_URL: natsUrl,
    AUTHORITY_URL: authorityUrl,
    AUTHORITY_API_KEY: AUTHORITY_KEY,
    ID_HASH_KEY,
    RIDE_CODE_KEYS_FILE: join(dir, 'ride-code-keys.json'),
    ACCESS_KEYS_FILE: join(dir, 'access-keys.json'),
    RIDE_CODE_TTL_SECONDS: '600',
    LOG_LEVEL: args.logLevel,
  });
  const echo = ServiceProcess.startArgs('echo', 'dist/gate-sim/src/bench/echo.js', [
    natsUrl,
    'bench.echo.>',
    '330',
  ]);
  const started: ServiceProcess[] = [authority, echo];
  let nc: NatsConnection | null = null;

  try {
    await authority.waitHealthy(`${authorityUrl}/health`);
    const bar = tty
      ? new SingleBar(
          { format: '{task} [{bar}] {value}/{total}', hideCursor: true },
          Presets.shades_classic,
        )
      : null;
    const progress = (task: string, total: number) => {
      bar?.start(total, 0, { task: task.padEnd(22) });
      if (!tty) say(`${task}: ${total}`);
      return (done: number) => bar?.update(done);
    };
    const done = () => bar?.stop();

    // The city's riders exist before the gateway boots, as they would in service.
    const seedStart = Date.now();
    const riders = await seedRiders(args.riders, {
      authorityUrl,
      apiKey: AUTHORITY_KEY,
      pool,
      idHashKey: ID_HASH_KEY,
      now: Date.now(),
      onProgress: progress(`seeding ${args.riders} riders`, args.riders),
    });
    done();
    // A city's tables are not freshly bulk-loaded: settle them, so autovacuum and the
    // checkpoint after the seed do not run inside a measured level.
    await pool.query('VACUUM (ANALYZE) riders, health_links');
    // CHECKPOINT needs a superuser (or pg_checkpoint); without one the run carries it instead.
    await pool.query('CHECKPOINT').catch(() => undefined);
    say(
      `seeded ${riders.length} distinct riders in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`,
    );

    const startGateway = async (name: string, env: Record<string, string>, nodeArgs: string[]) => {
      const port = await freePort();
      const p = ServiceProcess.start(
        name,
        'dist/apps/gateway/src/main.js',
        { ...gatewayEnv(port), ...env },
        nodeArgs,
      );
      started.push(p);
      await p.waitUntil(`http://127.0.0.1:${port}/health`, (body) => {
        const b = body as { consentDirectory?: { loading?: boolean } };
        return b.consentDirectory?.loading === false;
      });
      return p;
    };
    const gateway = await startGateway('gateway', {}, nodeArgsOf('BENCH_GATEWAY_NODE_ARGS'));
    say(
      `services up: gateway pid ${gateway.pid}, authority pid ${authority.pid}, NATS ${privateNats ? 'private' : natsUrl}`,
    );

    nc = await connect({ servers: natsUrl, name: 'bench-gates' });
    await echo.waitForOutput('ready');

    const scale = args.quick ? 0.25 : 1;
    let plan = [
      { level: 'warm-up', inFlight: 16, taps: Math.round(2000 * scale), instances: 1 },
      { level: '1 in flight', inFlight: 1, taps: Math.round(1500 * scale), instances: 1 },
      { level: '16 in flight', inFlight: 16, taps: Math.round(16_000 * scale), instances: 1 },
      { level: '256 in flight', inFlight: 256, taps: Math.round(36_000 * scale), instances: 1 },
      {
        level: '256 in flight, 2 instances',
        inFlight: 256,
        taps: Math.round(36_000 * scale),
        instances: 2,
      },
    ];
    const wanted = args.levels;
    if (wanted) plan = plan.filter((p) => p.level === 'warm-up' || wanted.includes(p.inFlight));
    const needed = plan.reduce((n, p) => n + p.taps, 0);
    if (needed > riders.length)
      throw new Error(`the plan needs ${needed} distinct riders; seed more with --riders`);

    let cursor = 0;
    const reports: LevelReport[] = [];
    const series: Series[] = [];
    let second: ServiceProcess | null = null;
    const decoder = new TextDecoder();
    // Outcomes with their reasons, so a refusal under load (e.g. a lookup past its budget) shows.
    const classify = (b: Uint8Array) => {
      const r = JSON.parse(decoder.decode(b)) as { outcome: string; reasons: string[] };
      return r.outcome === 'open' ? 'open' : `${r.outcome}: ${r.reasons.join(', ')}`;
    };

    for (const step of plan) {
      if (step.instances === 2 && !second)
        second = await startGateway('gateway-2', { RUN_MIGRATIONS: 'false' }, []);
      const slice = riders.slice(cursor, cursor + step.taps);
      cursor += step.taps;
      const prefix = `b${reports.length}${Date.now().toString(36)}`;
      const requests = await buildTaps(codec, slice, prefix);
      const echoRequests = requests.map((r) => ({ subject: 'bench.echo.tap', body: r.body }));

      const echoResult = await runLoad(nc, {
        inFlight: step.inFlight,
        requests: echoRequests,
        onProgress: progress(`${step.level}: echo`, step.taps),
      });
      done();
      const cpu0 = gateway.cpuMicros() + (second?.cpuMicros() ?? 0);
      const authorityCpu0 = authority.cpuMicros();
      const pgCpu0 = postgresCpuMicros();
      const natsCpu0 = natsPid === undefined ? 0 : cpuMicrosOf(natsPid);
      const genCpu0 = process.cpuUsage();
      const result = await runLoad(nc, {
        inFlight: step.inFlight,
        requests,
        classify,
        onProgress: progress(`${step.level}: gateway`, step.taps),
      });
      done();
      const cpu = gateway.cpuMicros() + (second?.cpuMicros() ?? 0) - cpu0;
      const authorityCpu = authority.cpuMicros() - authorityCpu0;
      const pgCpu = postgresCpuMicros() - pgCpu0;
      const natsCpu = natsPid === undefined ? null : cpuMicrosOf(natsPid) - natsCpu0;
      const genUsage = process.cpuUsage(genCpu0);
      const genCpu = genUsage.user + genUsage.system;
      const rows = await pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM check_ins WHERE tap_id LIKE $1',
        [`${prefix}%`],
      );
      if (step.level === 'warm-up') continue;
      const opens = result.counts.open ?? 0;
      const report: LevelReport = {
        level: step.level,
        inFlight: step.inFlight,
        instances: step.instances,
        taps: result.answered,
        decisionsPerSec: Math.round(result.perSecond),
        echoPerSec: Math.round(echoResult.perSecond),
        ratioToEcho: Math.round((result.perSecond / echoResult.perSecond) * 100) / 100,
        latencyMs: {
          p50: ms(result.histogram, 50),
          p99: ms(result.histogram, 99),
          p999: ms(result.histogram, 99.9),
          max: ms(result.histogram, 100),
        },
        echoLatencyMs: {
          p50: ms(echoResult.histogram, 50),
          p99: ms(echoResult.histogram, 99),
          p999: ms(echoResult.histogram, 99.9),
        },
        p99OverEchoP99:
          Math.round(
            (result.histogram.getValueAtPercentile(99) /
              echoResult.histogram.getValueAtPercentile(99)) *
              100,
          ) / 100,
        cpuMicrosPerDecision: Math.round(cpu / result.answered),
        authorityCpuMicrosPerDecision: Math.round(authorityCpu / result.answered),
        postgresCpuMicrosPerDecision: Math.round(pgCpu / result.answered),
        natsCpuMicrosPerDecision: natsCpu === null ? null : Math.round(natsCpu / result.answered),
        generatorCpuMicrosPerDecision: Math.round(genCpu / result.answered),
        coresBusy:
          Math.round(
            ((cpu + authorityCpu + pgCpu + (natsCpu ?? 0) + genCpu) / 1e6 / result.seconds) * 100,
          ) / 100,
        outcomes: result.counts,
        checkInRows: rows.rows[0].n,
        openReplies: opens,
      };
      reports.push(report);
      series.push({
        label: `gateway, ${step.level}`,
        points: PERCENTILES.map((p) => [p, ms(result.histogram, p)]),
      });
      if (step.instances === 1)
        series.push({
          label: `echo, ${step.inFlight} in flight`,
          points: PERCENTILES.map((p) => [p, ms(echoResult.histogram, p)]),
          dashed: true,
        });
    }

    const peakRssMb = Math.round(gateway.peakRssMb());
    const summary = {
      machine: { cores: (await import('node:os')).cpus().length, node: process.version },
      riders: riders.length,
      gatewayPeakRssMb: peakRssMb,
      levels: reports,
    };
    printTable(reports, peakRssMb, riders.length);
    if (args.json) {
      mkdirSync(dirname(args.json), { recursive: true });
      writeFileSync(args.json, JSON.stringify(summary, null, 2));
      say(`summary written to ${args.json}`);
    }
    if (args.plot) {
      mkdirSync(dirname(args.plot), { recursive: true });
      writeFileSync(
        args.plot,
        percentileSvg(`Tap latency as the gate saw it (${riders.length} riders, one run)`, series),
      );
      say(`chart written to ${args.plot}`);
    }
    const lost = reports.filter((r) => r.checkInRows !== r.openReplies);
    if (lost.length > 0)
      throw new Error(
        `check-in rows differ from open replies at: ${lost.map((r) => r.level).join(', ')}`,
      );
  } finally {
    await nc?.drain().catch(() => undefined);
    for (const p of started.reverse()) await p.stop();
    await privateNats?.dispose();
    await pool.end();
  }
}

async function buildTaps(
  codec: RideCodeCodec,
  riders: BenchRider[],
  prefix: string,
): Promise<{ subject: string; body: Uint8Array }[]> {
  const enc = new TextEncoder();
  const now = Date.now();
  const out: { subject: string; body: Uint8Array }[] = [];
  for (let i = 0; i < riders.length; i++) {
    const r = riders[i];
    const gateId = GATES[i % GATES.length];
    const { code } = await codec.mint(r.riderId, now);
    const body = {
      v: 1,
      tapId: `${prefix}-${String(i).padStart(7, '0')}`,
      stationId: STATION,
      gateId,
      mode: 'entry',
      temperatureC: r.profile === 'fever' ? 37.8 : 36.5,
      credential: { kind: 'ride-code', code },
    };
    out.push({ subject: tapSubject(STATION, gateId), body: enc.encode(JSON.stringify(body)) });
  }
  return out;
}

function printTable(reports: LevelReport[], rssMb: number, riders: number): void {
  const rows = [
    [
      'level',
      'decisions/s',
      'echo/s',
      'ratio',
      'p50 ms',
      'p99 ms',
      'p99.9 ms',
      'p99/echo p99',
      'CPU µs/decision: gateway',
      'authority',
      'postgres',
      'nats',
      'load gen',
      'cores busy',
      'rows = opens',
    ],
    ...reports.map((r) => [
      r.level,
      String(r.decisionsPerSec),
      String(r.echoPerSec),
      r.ratioToEcho.toFixed(2),
      r.latencyMs.p50.toFixed(2),
      r.latencyMs.p99.toFixed(2),
      r.latencyMs.p999.toFixed(2),
      r.p99OverEchoP99.toFixed(2),
      String(r.cpuMicrosPerDecision),
      String(r.authorityCpuMicrosPerDecision),
      String(r.postgresCpuMicrosPerDecision),
      r.natsCpuMicrosPerDecision === null ? '-' : String(r.natsCpuMicrosPerDecision),
      String(r.generatorCpuMicrosPerDecision),
      r.coresBusy.toFixed(2),
      `${r.checkInRows} = ${r.openReplies}${r.checkInRows === r.openReplies ? '' : '  MISMATCH'}`,
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  process.stdout.write('\n');
  for (const [i, r] of rows.entries()) {
    process.stdout.write(
      `${r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ')}\n`,
    );
    if (i === 0) process.stdout.write(`${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  }
  process.stdout.write(`\ngateway peak RSS: ${rssMb} MB with ${riders} distinct riders\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exit(1);
});
