import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';

/** The nats-server binary, if this machine has one (npm run services installs it on Debian). */
export function natsServerBinary(): string | null {
  for (const candidate of [
    process.env.NATS_SERVER_BIN,
    'nats-server',
    '/usr/sbin/nats-server',
    '/usr/local/bin/nats-server',
  ]) {
    if (candidate && spawnSync(candidate, ['--version'], { stdio: 'ignore' }).status === 0)
      return candidate;
  }
  return null;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A private NATS server (with JetStream) on its own port: tests then never share subjects
 * with a gateway a developer has running, and fault tests may stop and restart it.
 */
export class PrivateNats {
  private child: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'nats-test-'));

  private constructor(
    private readonly bin: string,
    readonly port: number,
    private readonly configFile?: string,
  ) {}

  static async start(opts: { configFile?: string; port?: number } = {}): Promise<PrivateNats> {
    const bin = natsServerBinary();
    if (!bin)
      throw new Error('nats-server is not installed (npm run services installs it on Debian)');
    const server = new PrivateNats(bin, opts.port ?? (await freePort()), opts.configFile);
    await server.resume();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts (again) on the same port and store, and waits until it answers. */
  async resume(): Promise<void> {
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.dir];
    if (this.configFile) args.push('-c', this.configFile);
    this.child = spawn(this.bin, args, { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const nc = await connect({ servers: this.url, timeout: 500, maxReconnectAttempts: 0 });
        await nc.close();
        return;
      } catch (e) {
        if (Date.now() > deadline)
          throw new Error(`private nats-server did not start: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Stops the server we started, by its PID. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
