import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { Pool } from 'pg';
import { newAccessKeyFile } from '@app/access-token';
import { runMigrations } from '@app/persistence';
import { RideCodeCodec, loadKeySet, newKeySet } from '@app/ride-code';
import { ServiceProcess } from '../../../gate-sim/src/bench/processes';
import { seedRiders, type BenchRider } from '../../../gate-sim/src/bench/seed';
import { PrivateNats, freePort } from '../../support/nats-server';
import { PrivatePostgres } from '../../support/private-postgres';

export const AUTHORITY_KEY = 'fault-authority-key';
export const ID_HASH_KEY = 'fault-id-hash-key-0123456789';
export const STATION = 'S0312'; // line 3: one-code riding enabled by the seeded 2022 rules

const GATEWAY_ENTRY = 'apps/gateway/src/main.ts';
const AUTHORITY_ENTRY = 'apps/health-authority/src/main.ts';

export interface RunningService {
  proc: ServiceProcess;
  url: string;
  port: number;
}

/**
 * Everything a fault scenario kills or restarts is its own: a private NATS, a private PostgreSQL,
 * and gateways and an authority started as real processes (from source, no build step).
 */
export class FaultStack {
  readonly services: ServiceProcess[] = [];
  private constructor(
    readonly nats: PrivateNats,
    readonly pg: PrivatePostgres,
    readonly dbUrl: string,
    /** The test's own connections, for counting rows; separate from the gateways'. */
    readonly pool: Pool,
    readonly codec: RideCodeCodec,
    private readonly dir: string,
  ) {}

  static async start(): Promise<FaultStack> {
    const [nats, pg] = await Promise.all([PrivateNats.start(), PrivatePostgres.start()]);
    const dbUrl = await pg.createDatabase('gateway_fault_test');
    await runMigrations(dbUrl);
    const pool = new Pool({ connectionString: dbUrl, max: 4, connectionTimeoutMillis: 5_000 });
    pool.on('error', () => undefined); // the server is restarted under it on purpose
    const dir = mkdtempSync(join(tmpdir(), 'faults-'));
    const keySet = await newKeySet('fault-1');
    writeFileSync(join(dir, 'ride-code-keys.json'), JSON.stringify(keySet));
    writeFileSync(join(dir, 'access-keys.json'), JSON.stringify(await newAccessKeyFile('fault')));
    const codec = new RideCodeCodec(await loadKeySet(keySet), {
      issuer: 'one-code-ride-gateway',
      ttlSeconds: 600,
      leewaySeconds: 2,
    });
    return new FaultStack(nats, pg, dbUrl, pool, codec, dir);
  }

  async startAuthority(port?: number): Promise<RunningService> {
    const p = port ?? (await freePort());
    const proc = ServiceProcess.start('authority', AUTHORITY_ENTRY, {
      AUTHORITY_PORT: String(p),
      AUTHORITY_API_KEY: AUTHORITY_KEY,
      NATS_URL: this.nats.url,
      LOG_LEVEL: 'warn',
    });
    this.services.push(proc);
    const url = `http://127.0.0.1:${p}`;
    await proc.waitHealthy(`${url}/health`);
    return { proc, url, port: p };
  }

  async startGateway(
    name: string,
    authorityUrl: string,
    env: Record<string, string> = {},
  ): Promise<RunningService> {
    const port = await freePort();
    const proc = ServiceProcess.start(name, GATEWAY_ENTRY, {
      PORT: String(port),
      DATABASE_URL: this.dbUrl,
      NATS_URL: this.nats.url,
      AUTHORITY_URL: authorityUrl,
      AUTHORITY_API_KEY: AUTHORITY_KEY,
      ID_HASH_KEY,
      RIDE_CODE_KEYS_FILE: join(this.dir, 'ride-code-keys.json'),
      ACCESS_KEYS_FILE: join(this.dir, 'access-keys.json'),
      RIDE_CODE_TTL_SECONDS: '600',
      RUN_MIGRATIONS: 'false', // the stack ran them; two instances must not race on them
      LOG_LEVEL: 'warn',
      ...env,
    });
    this.services.push(proc);
    this.reportCrash(proc);
    const url = `http://127.0.0.1:${port}`;
    await proc.waitHealthy(`${url}/health`, 90_000);
    return { proc, url, port };
  }

  private readonly expected = new Set<ServiceProcess>();
  private disposing = false;

  /** Marks a process the scenario is about to kill or stop, so its exit is not a crash. */
  expectExit(proc: ServiceProcess): void {
    this.expected.add(proc);
  }

  /** An exit nobody asked for is the finding: print how the process ended. */
  private reportCrash(proc: ServiceProcess): void {
    void proc.waitExit(24 * 3_600_000).then(
      (how) => {
        if (this.expected.has(proc) || this.disposing) return;
        process.stderr.write(
          `[faults] ${proc.name} (pid ${proc.pid}) exited unexpectedly: ${JSON.stringify(how)}\n${proc.tail()}\n`,
        );
      },
      () => undefined,
    );
  }

  private seeded: BenchRider[] = [];

  /**
   * Persons and consents at the authority, riders and links in the gateway's database. ID
   * numbers are deterministic, so a stack seeds once and scenarios take fresh riders from it.
   */
  async seed(n: number, authorityUrl: string): Promise<void> {
    this.seeded = await seedRiders(n, {
      authorityUrl,
      apiKey: AUTHORITY_KEY,
      pool: this.pool,
      idHashKey: ID_HASH_KEY,
      now: Date.now(),
    });
  }

  /** Riders no scenario has used yet: each taps in once, so every open is a new check-in. */
  take(n: number): BenchRider[] {
    if (n > this.seeded.length) throw new Error(`only ${this.seeded.length} seeded riders left`);
    return this.seeded.splice(0, n);
  }

  /** A gate-side client that, like the gateway, never gives up reconnecting. */
  gateClient(): Promise<NatsConnection> {
    return connect({
      servers: this.nats.url,
      name: 'fault-gates',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      waitOnFirstConnect: true,
    });
  }

  async dispose(): Promise<void> {
    this.disposing = true;
    for (const s of [...this.services].reverse()) {
      s.kill('SIGKILL');
      await s.waitExit(10_000).catch(() => undefined);
    }
    await this.pool.end().catch(() => undefined);
    await this.nats.dispose();
    this.pg.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` holds, or throws after `timeoutMs`. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check().catch(() => false)) return Date.now() - started;
    await sleep(100);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}
