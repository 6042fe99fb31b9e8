import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { Pool } from 'pg';
import {
  accessSigner,
  mintAccessToken,
  newAccessKeyFile,
  type AccessKeyFile,
} from '@app/access-token';
import { runMigrations } from '@app/persistence';
import { RideCodeCodec, loadKeySet, newKeySet } from '@app/ride-code';
import { ServiceProcess } from '../../../gate-sim/src/bench/processes';
import { seedRiders, type BenchRider } from '../../../gate-sim/src/bench/seed';
import { PrivateNats, freePort } from '../../support/nats-server';
import { PrivatePostgres } from '../../support/private-postgres';
import { NatsCluster } from './nats-cluster';

export const AUTHORITY_KEY = 'fault-authority-key';
export const ID_HASH_KEY = 'fault-id-hash-key-0123456789';
export const STATION = 'S0312'; // line 3: one-code riding enabled by the seeded 2022 rules

const GATEWAY_ENTRY = 'apps/gateway/src/main.ts';
const AUTHORITY_ENTRY = 'apps/health-authority/src/main.ts';

export interface RunningService {
  proc: ServiceProcess;
  url: string;
  port: number;
  /** The gateway's admin port (metrics), a free one of its own. */
  adminUrl?: string;
}

/** Where a process connects: the single private server, or a named node of the cluster. */
export interface Placement {
  node?: string;
}

/**
 * Everything a fault scenario kills or restarts is its own: a private NATS (one server, or a
 * three-node cluster), a private PostgreSQL, and gateways and an authority started as real
 * processes (from source, no build step).
 */
export class FaultStack {
  readonly services: ServiceProcess[] = [];
  private readonly gateClients: NatsConnection[] = [];
  private constructor(
    private readonly single: PrivateNats | null,
    /** The three-node cluster, when the stack was started with one. */
    readonly cluster: NatsCluster | null,
    readonly pg: PrivatePostgres,
    readonly dbUrl: string,
    /** The test's own connections, for counting rows; separate from the gateways'. */
    readonly pool: Pool,
    readonly codec: RideCodeCodec,
    private readonly accessKeys: AccessKeyFile,
    private readonly dir: string,
  ) {}

  /**
   * The usual scenario: one authority, one gateway (with `env` added to its environment),
   * `riders` seeded, and a connection for the gates. `dispose()` ends all of it.
   */
  static async withOneGateway(
    riders: number,
    env: Record<string, string> = {},
  ): Promise<{
    stack: FaultStack;
    authority: RunningService;
    gw: RunningService;
    nc: NatsConnection;
  }> {
    const stack = await FaultStack.start();
    const authority = await stack.startAuthority();
    const gw = await stack.startGateway('gateway', authority.url, env);
    await stack.seed(riders, authority.url);
    return { stack, authority, gw, nc: await stack.gateClient() };
  }

  static async start(opts: { natsCluster?: boolean } = {}): Promise<FaultStack> {
    const [single, cluster, pg] = await Promise.all([
      opts.natsCluster ? null : PrivateNats.start(),
      opts.natsCluster ? NatsCluster.start() : null,
      PrivatePostgres.start(),
    ]);
    const dbUrl = await pg.createDatabase('gateway_fault_test');
    await runMigrations(dbUrl);
    const pool = new Pool({ connectionString: dbUrl, max: 4, connectionTimeoutMillis: 5_000 });
    pool.on('error', () => undefined); // the server is restarted under it on purpose
    const dir = mkdtempSync(join(tmpdir(), 'faults-'));
    const keySet = await newKeySet('fault-1');
    writeFileSync(join(dir, 'ride-code-keys.json'), JSON.stringify(keySet));
    const accessKeys = await newAccessKeyFile('fault');
    writeFileSync(join(dir, 'access-keys.json'), JSON.stringify(accessKeys));
    const codec = new RideCodeCodec(await loadKeySet(keySet), {
      issuer: 'one-code-ride-gateway',
      ttlSeconds: 600,
      leewaySeconds: 2,
    });
    return new FaultStack(single, cluster, pg, dbUrl, pool, codec, accessKeys, dir);
  }

  /** The single private server; a cluster stack has `cluster` instead. */
  get nats(): PrivateNats {
    if (!this.single) throw new Error('this stack runs a NATS cluster: use stack.cluster');
    return this.single;
  }

  /** One seed server: a client learns the cluster's other nodes from it. */
  natsUrl(at: Placement = {}): string {
    return this.cluster ? this.cluster.node(at.node ?? 'n1').url : this.nats.url;
  }

  async startAuthority(port?: number, at: Placement = {}): Promise<RunningService> {
    const p = port ?? (await freePort());
    const proc = ServiceProcess.start('authority', AUTHORITY_ENTRY, {
      AUTHORITY_PORT: String(p),
      AUTHORITY_API_KEY: AUTHORITY_KEY,
      NATS_URL: this.natsUrl(at),
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
    at: Placement = {},
  ): Promise<RunningService> {
    const port = await freePort();
    const adminPort = await freePort();
    const proc = ServiceProcess.start(name, GATEWAY_ENTRY, {
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      DATABASE_URL: this.dbUrl,
      NATS_URL: this.natsUrl(at),
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
    return { proc, url, port, adminUrl: `http://127.0.0.1:${adminPort}` };
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
  /** A connection for the gates; closed by `dispose()` if the test has not closed it. */
  async gateClient(at: Placement = {}): Promise<NatsConnection> {
    const nc = await connect({
      servers: this.natsUrl(at),
      name: `fault-gates${at.node ? `-${at.node}` : ''}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      waitOnFirstConnect: true,
    });
    this.gateClients.push(nc);
    return nc;
  }

  /** A bearer token for the operator's API (rule versions), from the stack's own keys. */
  async operatorToken(): Promise<string> {
    return mintAccessToken(
      await accessSigner(this.accessKeys),
      { sub: 'fault-operator', role: 'operator' },
      600,
    );
  }

  async dispose(): Promise<void> {
    this.disposing = true;
    await Promise.all(this.gateClients.map((nc) => nc.close().catch(() => undefined)));
    for (const s of [...this.services].reverse()) {
      s.kill('SIGKILL');
      await s.waitExit(10_000).catch(() => undefined);
    }
    await this.pool.end().catch(() => undefined);
    await this.single?.dispose();
    await this.cluster?.dispose();
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

/** Taps this gateway has decided so far, from its own metrics (one count per reply it built). */
export async function decisionsOf(gw: RunningService): Promise<number> {
  // Metrics are on the admin port where the gateway has one, else on the API port.
  const admin = gw.adminUrl && (await fetch(`${gw.adminUrl}/metrics`).catch(() => null));
  const res = admin && admin.ok ? admin : await fetch(`${gw.url}/metrics`);
  const text = await res.text();
  let n = 0;
  for (const m of text.matchAll(/^gateway_decision_seconds_count\{[^}]*\} (\d+)$/gm))
    n += Number(m[1]);
  return n;
}

/** The authority stand-in's injected faults: a delay before every answer, or no answer at all. */
export async function setAuthorityFaults(
  authority: RunningService,
  faults: { delayMs: number; unavailable: boolean },
): Promise<void> {
  const r = await fetch(`${authority.url}/v1/admin/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-api-key': AUTHORITY_KEY },
    body: JSON.stringify(faults),
  });
  if (r.status !== 204) throw new Error(`authority faults: ${r.status}`);
}

/** Resident memory of a process in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
