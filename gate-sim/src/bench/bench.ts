/**
 * npm run bench [-- --json FILE --plot FILE --riders N --quick --levels 1,16,256 --log-level L]
 *
 * Runs the real gateway and authority (as processes) on real PostgreSQL and NATS, seeds
 * distinct riders, and drives gate taps at 1, 16 and 256 in flight. In the same run it measures
 * two floors with the same message sizes: a raw NATS echo (what one hop costs on this machine)
 * and a verify echo (a raw responder that also checks each ride code's signature the cheapest
 * way: the most any gateway that checks signatures can do here).
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs as parseCommandLine } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import { connect, type NatsConnection } from 'nats';
import { Client, Pool } from 'pg';
import {
  accessSigner,
  mintAccessToken,
  newAccessKeyFile,
  type AccessSigner,
} from '../../../libs/access-token/src';
import { runMigrations } from '../../../libs/persistence/src';
import { RideCodeCodec, loadKeySet, newKeySet } from '../../../libs/ride-code/src';
import { tapSubject } from '../../../libs/protocol/src';
import { PrivateNats, freePort, natsServerBinary } from '../private-nats';
import { runLoad, type LoadResult } from './load';
import { PERCENTILES, percentileSvg, type Series } from './plot';
import { ServiceProcess, cpuMicrosOf, postgresCpuMicros, threadCpuMicros } from './processes';
import { seedRiders, type BenchRider } from './seed';

interface Args {
  riders: number;
  json: string | null;
  plot: string | null;
  quick: boolean;
  /** The gateway's LOG_LEVEL; null runs it at its own default, as deployed. */
  logLevel: string | null;
  /** Only these in-flight levels (e.g. `--levels 1,16`); the warm-up always runs. */
  levels: number[] | null;
}

function parseArgs(argv: string[]): Args {
  const { values } = parseCommandLine({
    args: argv,
    options: {
      riders: { type: 'string' },
      json: { type: 'string' },
      plot: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'log-level': { type: 'string' },
      levels: { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const riders = values.riders === undefined ? (quick ? 25_000 : 100_000) : Number(values.riders);
  if (!Number.isInteger(riders) || riders < 1)
    throw new Error('--riders must be a positive integer');
  const levels = values.levels?.split(',').map(Number) ?? null;
  if (levels?.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error('--levels takes in-flight counts, e.g. 1,16,256');
  return {
    riders,
    json: values.json ?? null,
    plot: values.plot ?? null,
    quick,
    logLevel: values['log-level'] ?? null,
    levels,
  };
}

const STATION = 'S0312';
const GATES = Array.from({ length: 32 }, (_, i) => `G${String(i + 1).padStart(2, '0')}`);
const ID_HASH_KEY = 'bench-id-hash-key-0123456789';
const AUTHORITY_KEY = 'bench-authority-key';
const ISSUER = 'one-code-ride-gateway';

interface LevelReport {
  level: string;
  inFlight: number;
  instances: number;
  /** Warm: each code was minted through the API shortly before its tap, as a rider's app does. */
  warm: boolean;
  taps: number;
  decisionsPerSec: number;
  echoPerSec: number;
  ratioToEcho: number;
  /** The verify echo: parse, check the signature on a thread, reply. */
  verifyEchoPerSec: number;
  ratioToVerifyEcho: number;
  verifyEchoLatencyMs: { p50: number; p99: number; p999: number };
  latencyMs: { p50: number; p99: number; p999: number; max: number };
  echoLatencyMs: { p50: number; p99: number; p999: number };
  p99OverEchoP99: number;
  cpuMicrosPerDecision: number | null;
  /**
   * The gateway's CPU by thread: the event loop, the ride-code verifying thread(s), and the
   * rest (V8's GC and compiler helpers, the libuv pool). Null where the threads are unknown.
   */
  gatewayThreadsMicrosPerDecision: { main: number; verify: number; other: number } | null;
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
  const accessKeys = await newAccessKeyFile('bench');
  writeFileSync(join(dir, 'access-keys.json'), JSON.stringify(accessKeys));
  const riderTokens = await accessSigner(accessKeys);
  const codec = new RideCodeCodec(await loadKeySet(keySetFile), {
    issuer: ISSUER,
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
  const gatewayEnv = (port: number, adminPort: number) => ({
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    DATABASE_URL: dbUrl,
    NATS_URL: natsUrl,
    AUTHORITY_URL: authorityUrl,
    AUTHORITY_API_KEY: AUTHORITY_KEY,
    ID_HASH_KEY,
    RIDE_CODE_KEYS_FILE: join(dir, 'ride-code-keys.json'),
    ACCESS_KEYS_FILE: join(dir, 'access-keys.json'),
    RIDE_CODE_TTL_SECONDS: '600',
    ...(args.logLevel === null ? {} : { LOG_LEVEL: args.logLevel }),
  });
  const echo = ServiceProcess.startArgs('echo', 'dist/gate-sim/src/bench/echo.js', [
    natsUrl,
    'bench.echo.>',
    '330',
  ]);
  const verifyEcho = ServiceProcess.startArgs(
    'verify-echo',
    'dist/gate-sim/src/bench/verify-echo.js',
    [natsUrl, 'bench.verify-echo.>', '330', join(dir, 'ride-code-keys.json'), ISSUER, '600'],
  );
  const started: ServiceProcess[] = [authority, echo, verifyEcho];
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

    const startGateway = async (
      name: string,
      env: Record<string, string>,
      nodeArgs: string[],
    ): Promise<BenchGateway> => {
      const port = await freePort();
      const adminPort = await freePort();
      const proc = ServiceProcess.start(
        name,
        'dist/apps/gateway/src/main.js',
        { ...gatewayEnv(port, adminPort), ...env },
        nodeArgs,
      );
      started.push(proc);
      const url = `http://127.0.0.1:${port}`;
      await proc.waitUntil(`${url}/health`, (body) => {
        const b = body as { consentDirectory?: { loading?: boolean } };
        return b.consentDirectory?.loading === false;
      });
      return { proc, url, verifyThreads: await verifyThreadIds(`http://127.0.0.1:${adminPort}`) };
    };
    const gateway = await startGateway('gateway', {}, nodeArgsOf('BENCH_GATEWAY_NODE_ARGS'));
    say(
      `services up: gateway pid ${gateway.proc.pid}, authority pid ${authority.pid}, NATS ${privateNats ? 'private' : natsUrl}`,
    );

    nc = await connect({ servers: natsUrl, name: 'bench-gates' });
    await echo.waitForOutput('ready');
    await verifyEcho.waitForOutput('ready');

    const scale = args.quick ? 0.25 : 1;
    const step = (level: string, inFlight: number, taps: number, instances = 1, warm = false) => ({
      level,
      inFlight,
      taps: Math.round(taps * scale),
      instances,
      warm,
    });
    // The warm-up runs until the JIT has compiled the tap path at both batch sizes.
    let plan = [
      step('warm-up', 16, 3_000),
      step('warm-up', 256, 5_000),
      step('1 in flight', 1, 1_500),
      step('16 in flight', 16, 12_000),
      step('16 in flight, warm', 16, 12_000, 1, true),
      step('256 in flight', 256, 30_000),
      step('256 in flight, 2 instances', 256, 30_000, 2),
    ];
    const wanted = args.levels;
    if (wanted) plan = plan.filter((p) => p.level === 'warm-up' || wanted.includes(p.inFlight));
    const needed = plan.reduce((n, p) => n + p.taps, 0);
    if (needed > riders.length)
      throw new Error(`the plan needs ${needed} distinct riders; seed more with --riders`);

    let cursor = 0;
    const reports: LevelReport[] = [];
    const series: Series[] = [];
    let second: BenchGateway | null = null;
    const decoder = new TextDecoder();
    // Outcomes with their reasons, so a refusal under load (e.g. a lookup past its budget) shows.
    const classify = (b: Uint8Array) => {
      const r = JSON.parse(decoder.decode(b)) as { outcome: string; reasons: string[] };
      return r.outcome === 'open' ? 'open' : `${r.outcome}: ${r.reasons.join(', ')}`;
    };

    for (const [n, level] of plan.entries()) {
      if (level.instances === 2 && !second)
        second = await startGateway('gateway-2', { RUN_MIGRATIONS: 'false' }, []);
      const slice = riders.slice(cursor, cursor + level.taps);
      cursor += level.taps;
      const prefix = `b${n}${Date.now().toString(36)}`;
      // Cold: codes minted ahead, as a rider's phone shows a code it fetched a while ago. Warm:
      // each rider's app asks the gateway for a code shortly before the tap.
      const codes = level.warm
        ? await mintThroughApi(
            gateway.url,
            riderTokens,
            slice,
            progress(`${level.level}: minting`, level.taps),
          )
        : await mintAhead(codec, slice);
      done();
      const requests = buildTaps(slice, codes, prefix);
      const onSubject = (subject: string) => requests.map((r) => ({ subject, body: r.body }));

      const echoResult = await runLoad(nc, {
        inFlight: level.inFlight,
        requests: onSubject('bench.echo.tap'),
        onProgress: progress(`${level.level}: echo`, level.taps),
      });
      done();
      const verifyEchoResult = await runLoad(nc, {
        inFlight: level.inFlight,
        requests: onSubject('bench.verify-echo.tap'),
        onProgress: progress(`${level.level}: verify echo`, level.taps),
      });
      done();
      const gateways = second ? [gateway, second] : [gateway];
      const threads0 = gateways.map(threadsOf);
      const authorityCpu0 = authority.cpuMicros();
      const pgCpu0 = postgresCpuMicros();
      const natsCpu0 = natsPid === undefined ? 0 : cpuMicrosOf(natsPid);
      const genCpu0 = process.cpuUsage();
      const result = await runLoad(nc, {
        inFlight: level.inFlight,
        requests,
        classify,
        onProgress: progress(`${level.level}: gateway`, level.taps),
      });
      done();
      const threads = gateways.map((g, i) => {
        const t = threadsOf(g);
        return {
          main: t.main - threads0[i].main,
          verify: t.verify - threads0[i].verify,
          other: t.other - threads0[i].other,
          known: t.known,
        };
      });
      const cpu = threads.reduce((a, t) => a + t.main + t.verify + t.other, 0);
      const authorityCpu = authority.cpuMicros() - authorityCpu0;
      const pgCpu = postgresCpuMicros() - pgCpu0;
      const natsCpu = natsPid === undefined ? null : cpuMicrosOf(natsPid) - natsCpu0;
      const genUsage = process.cpuUsage(genCpu0);
      const genCpu = genUsage.user + genUsage.system;
      const rows = await pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM check_ins WHERE tap_id LIKE $1',
        [`${prefix}%`],
      );
      if (level.level === 'warm-up') continue;
      const opens = result.counts.open ?? 0;
      const perDecision = (micros: number) => Math.round(micros / result.answered);
      const latency = (h: LoadResult['histogram']) => ({
        p50: ms(h, 50),
        p99: ms(h, 99),
        p999: ms(h, 99.9),
      });
      const report: LevelReport = {
        level: level.level,
        inFlight: level.inFlight,
        instances: level.instances,
        warm: level.warm,
        taps: result.answered,
        decisionsPerSec: Math.round(result.perSecond),
        echoPerSec: Math.round(echoResult.perSecond),
        ratioToEcho: Math.round((result.perSecond / echoResult.perSecond) * 100) / 100,
        verifyEchoPerSec: Math.round(verifyEchoResult.perSecond),
        ratioToVerifyEcho: Math.round((result.perSecond / verifyEchoResult.perSecond) * 100) / 100,
        verifyEchoLatencyMs: latency(verifyEchoResult.histogram),
        latencyMs: { ...latency(result.histogram), max: ms(result.histogram, 100) },
        echoLatencyMs: latency(echoResult.histogram),
        p99OverEchoP99:
          Math.round(
            (result.histogram.getValueAtPercentile(99) /
              echoResult.histogram.getValueAtPercentile(99)) *
              100,
          ) / 100,
        cpuMicrosPerDecision: perDecision(cpu),
        gatewayThreadsMicrosPerDecision: threads.every((t) => t.known)
          ? {
              main: perDecision(threads.reduce((a, t) => a + t.main, 0)),
              verify: perDecision(threads.reduce((a, t) => a + t.verify, 0)),
              other: perDecision(threads.reduce((a, t) => a + t.other, 0)),
            }
          : null,
        authorityCpuMicrosPerDecision: perDecision(authorityCpu),
        postgresCpuMicrosPerDecision: perDecision(pgCpu),
        natsCpuMicrosPerDecision: natsCpu === null ? null : perDecision(natsCpu),
        generatorCpuMicrosPerDecision: perDecision(genCpu),
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
        label: `gateway, ${level.level}`,
        points: PERCENTILES.map((p) => [p, ms(result.histogram, p)]),
      });
      if (level.instances === 1 && !level.warm)
        series.push({
          label: `echo, ${level.inFlight} in flight`,
          points: PERCENTILES.map((p) => [p, ms(echoResult.histogram, p)]),
          dashed: true,
        });
    }

    const peakRssMb = Math.round(gateway.proc.peakRssMb());
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

interface BenchGateway {
  proc: ServiceProcess;
  url: string;
  /** The OS ids of its ride-code verifying threads, from its metrics (empty if unknown). */
  verifyThreads: number[];
}

/**
 * The OS ids of the gateway's ride-code verifying threads, from its metrics
 * (`gateway_ride_code_verifying_thread{tid}`), at any log level. A thread tells its id once it
 * has started, so this waits up to 5 s for the first; none (RIDE_CODE_VERIFY_THREADS=0) is empty.
 */
async function verifyThreadIds(adminUrl: string): Promise<number[]> {
  for (const deadline = Date.now() + 5_000; ;) {
    const text = await (await fetch(`${adminUrl}/metrics`)).text();
    const ids = [...text.matchAll(/^gateway_ride_code_verifying_thread\{tid="(\d+)"\} 1$/gm)].map(
      ([, tid]) => Number(tid),
    );
    if (ids.length > 0 || Date.now() > deadline) return ids;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A gateway's CPU so far, by thread: its event loop, its verifying threads, and the rest. */
function threadsOf(g: BenchGateway): {
  main: number;
  verify: number;
  other: number;
  known: boolean;
} {
  const all = threadCpuMicros(g.proc.pid);
  let main = 0;
  let verify = 0;
  let other = 0;
  for (const [tid, micros] of all) {
    if (tid === g.proc.pid) main += micros;
    else if (g.verifyThreads.includes(tid)) verify += micros;
    else other += micros;
  }
  return { main, verify, other, known: g.verifyThreads.length > 0 };
}

async function mintAhead(codec: RideCodeCodec, riders: BenchRider[]): Promise<string[]> {
  const now = Date.now();
  const codes: string[] = [];
  for (const r of riders) codes.push((await codec.mint(r.riderId, now)).code);
  return codes;
}

/** Each rider's app asks the gateway for a ride code, a few at a time, as riders near the gates. */
async function mintThroughApi(
  gatewayUrl: string,
  signer: AccessSigner,
  riders: BenchRider[],
  onProgress: (done: number) => void,
): Promise<string[]> {
  const codes = new Array<string>(riders.length);
  let next = 0;
  const worker = async () => {
    while (next < riders.length) {
      const i = next++;
      const token = await mintAccessToken(signer, { sub: riders[i].riderId, role: 'rider' }, 300);
      const res = await fetch(`${gatewayUrl}/riders/${riders[i].riderId}/ride-code`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      if (!res.ok)
        throw new Error(`ride code for a bench rider: ${res.status} ${await res.text()}`);
      codes[i] = ((await res.json()) as { code: string }).code;
      if (i % 500 === 0) onProgress(i);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  onProgress(riders.length);
  return codes;
}

function buildTaps(
  riders: BenchRider[],
  codes: string[],
  prefix: string,
): { subject: string; body: Uint8Array }[] {
  const enc = new TextEncoder();
  return riders.map((r, i) => {
    const gateId = GATES[i % GATES.length];
    const body = {
      v: 1,
      tapId: `${prefix}-${String(i).padStart(7, '0')}`,
      stationId: STATION,
      gateId,
      mode: 'entry',
      temperatureC: r.profile === 'fever' ? 37.8 : 36.5,
      credential: { kind: 'ride-code', code: codes[i] },
    };
    return { subject: tapSubject(STATION, gateId), body: enc.encode(JSON.stringify(body)) };
  });
}

function printTable(reports: LevelReport[], rssMb: number, riders: number): void {
  const threads = (r: LevelReport, k: 'main' | 'verify' | 'other') =>
    r.gatewayThreadsMicrosPerDecision === null ? '-' : String(r.gatewayThreadsMicrosPerDecision[k]);
  const rows = [
    [
      'level',
      'decisions/s',
      'echo/s',
      'verify echo/s',
      '÷ echo',
      '÷ verify echo',
      'p50 ms',
      'p99 ms',
      'p99.9 ms',
      'echo p99',
      'p99/echo p99',
      'CPU µs/decision: gateway',
      'main',
      'verify',
      'other',
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
      String(r.verifyEchoPerSec),
      r.ratioToEcho.toFixed(2),
      r.ratioToVerifyEcho.toFixed(2),
      r.latencyMs.p50.toFixed(2),
      r.latencyMs.p99.toFixed(2),
      r.latencyMs.p999.toFixed(2),
      r.echoLatencyMs.p99.toFixed(2),
      r.p99OverEchoP99.toFixed(2),
      String(r.cpuMicrosPerDecision),
      threads(r, 'main'),
      threads(r, 'verify'),
      threads(r, 'other'),
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
