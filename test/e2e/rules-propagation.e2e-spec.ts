import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { Client } from 'pg';
import type { NatsConnection } from 'nats';
import { accessSigner, mintAccessToken, newAccessKeyFile } from '@app/access-token';
import { formatShanghai, parseInstant, type GateReply } from '@app/protocol';
import { newKeySet } from '@app/ride-code';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { freePort } from '../support/nats-server';
import {
  AUTHORITY_KEY,
  natsClient,
  startAuthority,
  tap,
  testDatabaseUrl,
  uniqueId,
} from '../support/stack';
import { testNatsUrl } from '../support/db';

const ROOT = resolve(__dirname, '../..');

interface Instance {
  child: ChildProcess;
  url: string;
  /** Tap ids this instance logged as decided. */
  taps: Set<string>;
}

/** A gateway as its own process, exactly as `npm run start:gateway` runs it. */
async function spawnGateway(env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', 'ts-node/register', 'apps/gateway/src/main.ts'], {
    cwd: ROOT,
    // ADMIN_PORT 0: each child's metrics on a port of its own, never a fixed one in use.
    env: {
      ...process.env,
      ...env,
      PORT: String(port),
      ADMIN_PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const inst: Instance = { child, url: `http://127.0.0.1:${port}`, taps: new Set() };
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as { msg?: string; tapId?: string };
        if (entry.msg === 'tap decided' && entry.tapId) inst.taps.add(entry.tapId);
      } catch {
        // not a log line
      }
    }
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`gateway exited early: ${stderr}`);
      const up = await fetch(`${inst.url}/health`)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (up) return inst;
      if (Date.now() > deadline) throw new Error(`gateway did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (e) {
    // A gateway left running in the queue group would answer later files' taps with its own keys.
    child.kill('SIGKILL');
    throw e;
  }
}

async function stop(inst: Instance | undefined): Promise<void> {
  const child = inst?.child;
  if (!child || child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(
    () => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'),
    10_000,
  );
  await exited;
  clearTimeout(timer);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Two gateway processes on one NATS: a change on A reaches B in < 1 s, and both switch at the instant. */
describe('rule propagation across gateway instances', () => {
  let dir: string;
  let authority: RunningAuthority;
  let a: Instance | undefined;
  let b: Instance | undefined;
  let nc: NatsConnection;
  let db: Client;
  let auth: { authorization: string };
  let station: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rules-propagation-'));
    const accessKeys = await newAccessKeyFile('prop-access');
    writeFileSync(join(dir, 'access.json'), JSON.stringify(accessKeys));
    writeFileSync(join(dir, 'ride.json'), JSON.stringify(await newKeySet('prop-ride')));
    const token = await mintAccessToken(await accessSigner(accessKeys), {
      sub: 'op-propagation',
      role: 'operator',
    });
    auth = { authorization: `Bearer ${token}` };

    authority = await startAuthority();
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    station = uniqueId('S');
    await db.query(
      `INSERT INTO stations (id, name_zh, name_en, lines) VALUES ($1, '测试站', 'Test station', $2)`,
      [station, [uniqueId('L')]],
    );
    const env = {
      DATABASE_URL: testDatabaseUrl(),
      NATS_URL: testNatsUrl(),
      AUTHORITY_URL: authority.url,
      AUTHORITY_API_KEY: AUTHORITY_KEY,
      ACCESS_KEYS_FILE: join(dir, 'access.json'),
      RIDE_CODE_KEYS_FILE: join(dir, 'ride.json'),
      ID_HASH_KEY: 'test-id-hash-key-0123456789',
    };
    // Both reach afterAll even when one fails to start.
    const started = await Promise.allSettled([spawnGateway(env), spawnGateway(env)]);
    [a, b] = started.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    nc = await natsClient();
  }, 120_000);

  afterAll(async () => {
    await nc?.drain();
    await Promise.all([stop(a), stop(b)]);
    await authority?.close();
    await db?.end();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  const ticketTap = (): Promise<GateReply & { tapId: string }> => {
    const tapId = uniqueId('prop');
    return tap(nc, {
      stationId: station,
      gateId: 'G1',
      tapId,
      credential: { kind: 'single-journey', ticketNo: uniqueId('T') },
    }).then((r) => ({ ...r, tapId }));
  };

  it('a version scheduled on A is on B within 1 s, and both switch at its instant', async () => {
    const A = a as Instance;
    const B = b as Instance;
    const effectiveFrom = Date.now() + 3_000;
    const res = await request(A.url)
      .post('/rules/versions')
      .set(auth)
      .send({
        effectiveFrom: formatShanghai(effectiveFrom),
        scope: { kind: 'stations', stations: [station] },
        testWindowHours: 24,
        oneCodeEnabled: false,
        reason: 'propagation test',
      })
      .expect(201);
    const id = (res.body as { id: string }).id;
    const scheduledAt = Date.now();

    let seenAfter = Infinity;
    while (Date.now() - scheduledAt < 3_000) {
      const tl = await request(B.url).get(`/rules/stations/${station}/timeline`).set(auth);
      const ids = (tl.body.entries as { version: { id: string } }[]).map((e) => e.version.id);
      if (ids.includes(id)) {
        seenAfter = Date.now() - scheduledAt;
        break;
      }
      await sleep(20);
    }
    expect(seenAfter).toBeLessThan(1_000);

    // Taps through the queue group from before until after the instant, a few in flight.
    const replies: (GateReply & { tapId: string })[] = [];
    while (Date.now() < effectiveFrom - 300) await sleep(20);
    const until = effectiveFrom + 500;
    await Promise.all(
      [0, 1, 2, 3].map(async () => {
        while (Date.now() < until) replies.push(await ticketTap());
      }),
    );
    for (let i = 0; i < 40; i++) replies.push(await ticketTap());

    const before = replies.filter((r) => (parseInstant(r.decidedAt) as number) < effectiveFrom);
    const after = replies.filter((r) => (parseInstant(r.decidedAt) as number) >= effectiveFrom);
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(40);
    expect(before.filter((r) => r.policyVersion === id)).toEqual([]);
    expect(after.filter((r) => r.policyVersion !== id)).toEqual([]);

    // Both processes answered taps after the switch: wait for their log lines to arrive.
    const afterIds = after.map((r) => r.tapId);
    const answeredBy = (i: Instance) => afterIds.filter((t) => i.taps.has(t)).length;
    const logged = Date.now() + 5_000;
    while ((answeredBy(A) === 0 || answeredBy(B) === 0) && Date.now() < logged) await sleep(20);
    expect(answeredBy(A)).toBeGreaterThan(0);
    expect(answeredBy(B)).toBeGreaterThan(0);
  }, 30_000);

  it('a cancel on B reaches A within 1 s', async () => {
    const A = a as Instance;
    const B = b as Instance;
    const res = await request(A.url)
      .post('/rules/versions')
      .set(auth)
      .send({
        effectiveFrom: formatShanghai(Date.now() + 3_600_000),
        scope: { kind: 'stations', stations: [station] },
        testWindowHours: 12,
        oneCodeEnabled: false,
        reason: 'to be cancelled',
      })
      .expect(201);
    const id = (res.body as { id: string }).id;
    await request(B.url).delete(`/rules/versions/${id}`).set(auth).expect(200);
    const cancelledAt = Date.now();
    let goneAfter = Infinity;
    while (Date.now() - cancelledAt < 3_000) {
      const tl = await request(A.url).get(`/rules/stations/${station}/timeline`).set(auth);
      const ids = (tl.body.entries as { version: { id: string } }[]).map((e) => e.version.id);
      if (!ids.includes(id)) {
        goneAfter = Date.now() - cancelledAt;
        break;
      }
      await sleep(20);
    }
    expect(goneAfter).toBeLessThan(1_000);
  }, 30_000);
});
