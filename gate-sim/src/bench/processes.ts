import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A process's user + system CPU time in microseconds, from /proc (Linux); 0 once it is gone.
 * With `reapedChildren`, also the time of its children that have exited and been waited for.
 */
export function cpuMicrosOf(pid: number, reapedChildren = false): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  let ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  if (reapedChildren) ticks += Number(fields[13]) + Number(fields[14]); // cutime, cstime
  return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
}

/** CPU of each of a process's threads so far, in microseconds, by thread id (Linux). */
export function threadCpuMicros(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/**
 * CPU of every PostgreSQL server process (postmaster and backends), in microseconds: what the
 * database spent, so the benchmark can show the whole machine's budget per decision. A backend
 * that exits (a pool closing an idle connection) is counted through the postmaster, which
 * reaps it.
 */
export function postgresCpuMicros(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let comm: string;
    try {
      comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm === 'postgres' || comm === 'postmaster') total += cpuMicrosOf(Number(entry), true);
  }
  return total;
}

/** A service the benchmark started: a real process, stopped by its PID. */
export class ServiceProcess {
  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    private readonly log: string[],
  ) {}

  /**
   * Runs a compiled entry point (`dist/...js`, from `npm run build`) under node directly, so the
   * PID is the service itself and no TypeScript compiler sits in its memory.
   */
  static start(
    name: string,
    entry: string,
    env: Record<string, string>,
    nodeArgs: string[] = [],
  ): ServiceProcess {
    return ServiceProcess.startArgs(name, entry, [], env, nodeArgs);
  }

  static startArgs(
    name: string,
    entry: string,
    argv: string[],
    env: Record<string, string> = {},
    nodeArgs: string[] = [],
  ): ServiceProcess {
    // A `.ts` entry runs from source (tests, no build step); compiled ones resolve paths in dist.
    const fromSource = entry.endsWith('.ts');
    const loader = fromSource ? ['-r', 'ts-node/register'] : [];
    const sourceEnv = fromSource
      ? { TS_NODE_TRANSPILE_ONLY: 'true', TS_NODE_BASEURL: '.' }
      : { TS_NODE_BASEURL: 'dist' };
    const child = spawn(
      process.execPath,
      [...nodeArgs, ...loader, '-r', 'tsconfig-paths/register', entry, ...argv],
      {
        env: { ...process.env, ...sourceEnv, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const log: string[] = [];
    const proc = new ServiceProcess(name, child, log);
    const keep = (b: Buffer) => {
      log.push(b.toString());
      if (log.length > 200) log.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.stdout?.on('data', proc.scanLines());
    child.stderr?.on('data', proc.scanLines());
    // SERVICE_LOG_DIR keeps every line (e.g. the gateway's per-tap phase timings at LOG_LEVEL=info).
    const dir = process.env.SERVICE_LOG_DIR;
    if (dir) {
      const file = createWriteStream(join(dir, `${name}.log`));
      child.stdout?.pipe(file);
      child.stderr?.pipe(file);
    }
    return proc;
  }

  private readonly watchers: { re: RegExp; out: string[] }[] = [];

  /**
   * Feeds whole lines of one stream to the watchers; without any it does nothing (the benchmark
   * reads no lines). `partial` is null when the stream may be mid-line: the first piece is dropped.
   */
  private scanLines(): (b: Buffer) => void {
    let partial: string | null = null;
    return (b: Buffer) => {
      if (this.watchers.length === 0) {
        partial = null;
        return;
      }
      const lines = ((partial ?? '') + b.toString()).split('\n');
      if (partial === null) {
        if (lines.length === 1) return; // still mid-line
        lines.shift();
      }
      partial = lines.pop() ?? '';
      for (const line of lines)
        for (const w of this.watchers) if (w.re.test(line)) w.out.push(line);
    };
  }

  /**
   * Every line of output matching `re` from now on, however much is printed meanwhile (the tail
   * kept by `output()` may have dropped it).
   */
  watch(re: RegExp): string[] {
    const out: string[] = [];
    this.watchers.push({ re, out });
    return out;
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.child.pid;
  }

  /** Everything still kept of the process's stdout and stderr (the last 200 chunks). */
  output(): string {
    return this.log.join('');
  }

  tail(): string {
    return this.log.join('').split('\n').slice(-20).join('\n');
  }

  async waitForOutput(text: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.log.join('').includes(text)) {
      if (this.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`${this.name} did not start:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async waitHealthy(url: string, timeoutMs = 60_000): Promise<void> {
    await this.waitUntil(url, () => true, timeoutMs);
  }

  /** Waits for a 200 from `url` whose JSON body satisfies `ready`. */
  async waitUntil(
    url: string,
    ready: (body: unknown) => boolean,
    timeoutMs = 60_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited:\n${this.tail()}`);
      const ok = await fetch(url)
        .then(async (r) => r.ok && ready(await r.json().catch(() => null)))
        .catch(() => false);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${this.name} not ready at ${url}:\n${this.tail()}`);
  }

  /** User + system CPU time in microseconds, from /proc (Linux). */
  cpuMicros(): number {
    return cpuMicrosOf(this.pid);
  }

  /** Peak resident set size in MB (VmHWM). */
  peakRssMb(): number {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  }

  /** Null while running; the exit code (or null after a signal) once it has exited. */
  get exited(): { code: number | null; signal: NodeJS.Signals | null } | null {
    if (this.child.exitCode === null && this.child.signalCode === null) return null;
    return { code: this.child.exitCode, signal: this.child.signalCode };
  }

  /** Sends a signal by PID (e.g. SIGKILL for a crash, SIGTERM for a graceful stop). */
  kill(signal: NodeJS.Signals): void {
    if (this.exited === null) process.kill(this.pid, signal);
  }

  /** Waits for the process to exit, for at most `timeoutMs`. */
  async waitExit(
    timeoutMs = 30_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const done = this.exited;
    if (done) return done;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not exit`)), timeoutMs);
      this.child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal });
      });
    });
  }

  async stop(): Promise<void> {
    if (this.exited !== null) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      this.child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      this.child.kill('SIGTERM');
    });
  }
}
