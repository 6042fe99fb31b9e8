import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, natsServerBinary } from '../../support/nats-server';

export interface NodePorts {
  name: string;
  client: number;
  cluster: number;
  monitor: number;
}

/**
 * One node's configuration: its client port, a route to every other node, JetStream with its
 * own store. The README's scale-out section shows what this writes, with real host names.
 */
export function nodeConfig(self: NodePorts, all: NodePorts[], storeDir: string): string {
  const routes = all
    .filter((n) => n.name !== self.name)
    .map((n) => `    nats-route://127.0.0.1:${n.cluster}`);
  return [
    `server_name: ${self.name}`,
    `listen: 127.0.0.1:${self.client}`,
    `http: 127.0.0.1:${self.monitor}`,
    `jetstream {`,
    `  store_dir: ${JSON.stringify(storeDir)}`,
    `}`,
    `cluster {`,
    `  name: fare-gates`,
    `  listen: 127.0.0.1:${self.cluster}`,
    `  routes: [`,
    ...routes,
    `  ]`,
    `}`,
    '',
  ].join('\n');
}

class ClusterNode {
  private child: ChildProcess | null = null;
  constructor(
    private readonly bin: string,
    readonly ports: NodePorts,
    readonly configFile: string,
  ) {}

  get name(): string {
    return this.ports.name;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.ports.client}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    this.child = spawn(this.bin, ['-c', this.configFile], { stdio: 'ignore' });
  }

  /** Kills the node we started, by its PID, and waits for it to be gone. */
  async kill(signal: NodeJS.Signals): Promise<{ signal: NodeJS.Signals | null }> {
    const child = this.child;
    if (!child || !this.running) throw new Error(`${this.name} is not running`);
    return new Promise((resolve) => {
      child.once('exit', (_code, sig) => resolve({ signal: sig }));
      child.kill(signal);
    });
  }

  /** The monitoring endpoint's JSON (routes, connections, health). */
  async monitor<T>(path: string): Promise<T> {
    const r = await fetch(`http://127.0.0.1:${this.ports.monitor}${path}`);
    if (!r.ok) throw new Error(`${this.name} ${path}: ${r.status}`);
    return (await r.json()) as T;
  }
}

/**
 * Three nats-server processes routed into one cluster (with clustered JetStream), each on its own
 * ports on this machine. Clients given one node learn the others from it, and move to them when
 * their node goes away; a node killed and restarted rejoins the routes.
 */
export class NatsCluster {
  private constructor(
    readonly nodes: ClusterNode[],
    private readonly dir: string,
  ) {}

  static async start(size = 3): Promise<NatsCluster> {
    const bin = natsServerBinary();
    if (!bin)
      throw new Error('nats-server is not installed (npm run services installs it on Debian)');
    const dir = mkdtempSync(join(tmpdir(), 'nats-cluster-'));
    const ports: NodePorts[] = [];
    for (let i = 1; i <= size; i++)
      ports.push({
        name: `n${i}`,
        client: await freePort(),
        cluster: await freePort(),
        monitor: await freePort(),
      });
    const nodes = ports.map((p) => {
      const store = join(dir, p.name);
      mkdirSync(store);
      const file = join(dir, `${p.name}.conf`);
      writeFileSync(file, nodeConfig(p, ports, store));
      return new ClusterNode(bin, p, file);
    });
    const cluster = new NatsCluster(nodes, dir);
    for (const n of nodes) n.start();
    await cluster.waitFormed();
    return cluster;
  }

  node(name: string): ClusterNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** Every running node routes to every other running one and reports itself healthy. */
  async waitFormed(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const running = this.nodes.filter((n) => n.running);
      try {
        const states = await Promise.all(
          running.map(async (n) => {
            const routez = await n.monitor<{ num_routes: number }>('/routez');
            const health = await fetch(`http://127.0.0.1:${n.ports.monitor}/healthz`);
            return { n: n.name, routes: routez.num_routes, healthy: health.ok };
          }),
        );
        last = JSON.stringify(states);
        if (states.every((s) => s.routes >= running.length - 1 && s.healthy)) return;
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`NATS cluster did not form: ${last}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The node a named client (a gateway names itself gateway-<pid>) is connected to now. */
  async nodeOf(clientName: string): Promise<string | null> {
    for (const n of this.nodes.filter((x) => x.running)) {
      const connz = await n.monitor<{ connections?: { name?: string }[] }>('/connz?limit=1024');
      if ((connz.connections ?? []).some((c) => c.name === clientName)) return n.name;
    }
    return null;
  }

  async dispose(): Promise<void> {
    for (const n of this.nodes) if (n.running) await n.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
