import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './nats-server';

/** initdb and pg_ctl: on PATH, else the newest /usr/lib/postgresql/<v>/bin (as scripts/services.mjs looks). */
export function postgresBinDir(): string | null {
  const onPath = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim()) {
    const dir = onPath.stdout.trim().replace(/\/pg_ctl$/, '');
    if (existsSync(join(dir, 'initdb'))) return dir;
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(root, versions[0], 'bin') : null;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/**
 * A PostgreSQL server of a test's own, in a temporary directory on a free port, which fault
 * tests may stop, restart and kill connections on. Trust auth, TCP only; fsync stays on because
 * durability is what those tests check. As root the server runs as the `postgres` user.
 */
export class PrivatePostgres {
  private constructor(
    private readonly bin: string,
    readonly dataDir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const bin = postgresBinDir();
    if (!bin) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) are not installed');
    const dataDir = mkdtempSync(join(tmpdir(), 'pg-fault-'));
    if (isRoot()) chownSync(dataDir, uidOf('postgres'), gidOf('postgres'));
    const pg = new PrivatePostgres(bin, dataDir, await freePort());
    pg.run('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale']);
    appendFileSync(
      join(dataDir, 'postgresql.conf'),
      `\nlisten_addresses = '127.0.0.1'\nport = ${pg.port}\nunix_socket_directories = ''\n` +
        'fsync = on\nmax_connections = 100\n',
    );
    await pg.startServer();
    return pg;
  }

  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async createDatabase(name: string): Promise<string> {
    const c = new Client({ connectionString: this.adminUrl });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    } finally {
      await c.end();
    }
    return this.url(name);
  }

  /** The postmaster's PID, from postmaster.pid; null when it is not running. */
  get pid(): number | null {
    const file = join(this.dataDir, 'postmaster.pid');
    if (!existsSync(file)) return null;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  }

  async startServer(): Promise<void> {
    this.run('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      join(this.dataDir, 'server.log'),
      '-w',
      '-t',
      '60',
      'start',
    ]);
  }

  /** `fast` rolls back open transactions and disconnects clients, as a failover would. */
  stopServer(mode: 'fast' | 'immediate' = 'fast'): void {
    this.run('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  restart(mode: 'fast' | 'immediate' = 'fast'): void {
    this.run('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      join(this.dataDir, 'server.log'),
      '-m',
      mode,
      '-w',
      '-t',
      '60',
      'restart',
    ]);
  }

  /**
   * Freezes the server as a stalled host would: SIGSTOP to the postmaster (so nothing new is
   * forked), then to each of its backends and workers. Connections stay open and nothing
   * answers. Returns the PIDs to give to `unfreeze`.
   */
  freeze(): number[] {
    const postmaster = this.pid;
    if (postmaster === null) throw new Error('PostgreSQL is not running');
    process.kill(postmaster, 'SIGSTOP');
    const children = childrenOf(postmaster);
    for (const pid of children) process.kill(pid, 'SIGSTOP');
    this.frozen = [postmaster, ...children];
    return this.frozen;
  }

  /** What `freeze` stopped, until `unfreeze`: dispose must wake it before it can stop it. */
  private frozen: number[] = [];

  /** SIGCONT to what `freeze` stopped: backends first, then the postmaster. */
  unfreeze(pids: number[] = this.frozen): void {
    this.frozen = this.frozen.filter((p) => !pids.includes(p));
    for (const pid of [...pids].reverse()) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone meanwhile
      }
    }
  }

  /** Stops the server by its data directory and removes the directory. */
  dispose(): void {
    this.unfreeze();
    if (this.pid !== null) {
      try {
        this.stopServer('immediate');
      } catch {
        const pid = this.pid;
        if (pid !== null) process.kill(pid, 'SIGKILL');
      }
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private run(tool: string, args: string[]): void {
    const cmd = join(this.bin, tool);
    // As root, PostgreSQL refuses to run: run it as the postgres user, from a directory it can read.
    const [file, argv] = isRoot()
      ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]]
      : [cmd, args];
    execFileSync(file, argv, { cwd: '/', stdio: 'pipe' });
  }
}

/** PIDs whose parent is `parent`, from /proc (Linux). */
function childrenOf(parent: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
}

function gidOf(user: string): number {
  return Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
}
