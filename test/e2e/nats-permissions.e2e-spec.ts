import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSONCodec, connect, type NatsConnection } from 'nats';
import {
  EVENTS,
  GATEWAY_INBOX_PREFIX,
  gateCommandSubject,
  tapSubject,
  type GateReply,
} from '@app/protocol';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import {
  deviceInbox,
  gateUser,
  gatesConfig,
  newPassword,
  type NatsAccess,
} from '../../scripts/nats/gates-conf';
import request from 'supertest';
import { healthy, rider } from '../support/factories';
import { PrivateNats } from '../support/nats-server';
import {
  bearer,
  natsClient,
  startAuthority,
  startTestGateway,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';

const json = JSONCodec<unknown>();
/** A NATS status's data (an error with its permission context, or a server name) as text. */
const statusText = (d: unknown): string =>
  d instanceof Error ? `${d.message} ${JSON.stringify(d)}` : JSON.stringify(d);
const STATION = 'S0312';

/** A tap that follows the spec, and one that does not but whose tapId can be read. */
const abusiveTaps = (stationId: string, gateId: string) => {
  const good = {
    v: 1,
    tapId: uniqueId('abuse'),
    stationId,
    gateId,
    mode: 'entry',
    temperatureC: 36.5,
    credential: { kind: 'card', cardNo: 'C-abuse-1' },
  };
  const malformed = { v: 1, tapId: uniqueId('abuse'), mode: 'sideways' };
  return { good, malformed };
};

interface Listener {
  subject: string;
  nc: NatsConnection;
}

/**
 * Sends, as `sender`, a well-formed and a malformed tap naming each listener's subject as the
 * reply subject, and returns what each listener heard that carried one of those tapIds. Waits for
 * the events that show the gateway is done with each tap, never a fixed time: the well-formed
 * tap's station-feed event (published after the reply would have been), and the answer to a
 * control tap sent after the malformed one. `control` publishes as a client that may, to show
 * each listener would hear a message there.
 */
async function replyAbuse(opts: {
  sender: NatsConnection;
  stationId: string;
  gateId: string;
  listeners: Listener[];
  feed: NatsConnection;
  control: NatsConnection;
}): Promise<{ subject: string; heard: string[] }[]> {
  const heard = new Map<string, string[]>();
  for (const l of opts.listeners) {
    heard.set(l.subject, []);
    l.nc.subscribe(l.subject, {
      callback: (_e, m) => heard.get(l.subject)?.push(new TextDecoder().decode(m.data)),
    });
    await l.nc.flush();
  }
  // The control: each listener hears what is published on its subject.
  for (const l of opts.listeners) {
    const marker = uniqueId('control');
    opts.control.publish(l.subject, json.encode({ v: 1, marker }));
    await opts.control.flush();
    await l.nc.flush();
    expect({
      subject: l.subject,
      heard: heard.get(l.subject)?.some((t) => t.includes(marker)),
    }).toEqual({ subject: l.subject, heard: true });
    heard.set(l.subject, []);
  }

  const tapIds: string[] = [];
  const feedSeen = new Set<string>();
  const feedWaiters = new Map<string, () => void>();
  opts.feed.subscribe(`${EVENTS.stationFeed}.${opts.stationId}`, {
    callback: (_e, m) => {
      const tapId = (json.decode(m.data) as { tapId?: string }).tapId ?? '';
      feedSeen.add(tapId);
      feedWaiters.get(tapId)?.();
    },
  });
  await opts.feed.flush();
  const fedOut = (tapId: string) =>
    new Promise<void>((resolve) =>
      feedSeen.has(tapId) ? resolve() : feedWaiters.set(tapId, resolve),
    );
  const subject = tapSubject(opts.stationId, opts.gateId);
  for (const l of opts.listeners) {
    const { good, malformed } = abusiveTaps(opts.stationId, opts.gateId);
    tapIds.push(good.tapId, malformed.tapId);
    const fed = fedOut(good.tapId);
    opts.sender.publish(subject, json.encode(good), { reply: l.subject });
    opts.sender.publish(subject, json.encode(malformed), { reply: l.subject });
    await fed;
    // Taps from one connection are taken in order: once this is answered, the malformed was.
    const after = abusiveTaps(opts.stationId, opts.gateId).malformed;
    await opts.sender.request(subject, json.encode(after), { timeout: 5_000 });
  }
  for (const l of opts.listeners) await l.nc.flush();
  return opts.listeners.map((l) => ({
    subject: l.subject,
    heard: (heard.get(l.subject) ?? []).filter((t) => tapIds.some((id) => t.includes(id))),
  }));
}

/** A NATS server run with the generated per-device config, and a gateway using its own user. */
describe('gates authenticate to NATS and may speak only for themselves', () => {
  const g01 = uniqueId('G01');
  const g02 = uniqueId('G02');
  const access: NatsAccess = {
    gateway: { user: 'gateway', password: newPassword() },
    authority: { user: 'authority', password: newPassword() },
    gates: [
      { stationId: STATION, id: g01, password: newPassword() },
      { stationId: STATION, id: g02, password: newPassword() },
    ],
    checkpoints: [],
    anonymousDenyAll: true,
  };
  const dir = mkdtempSync(join(tmpdir(), 'nats-gates-'));
  let server: PrivateNats;
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let gate1: NatsConnection;
  const extra: NatsConnection[] = [];
  /** Anything the server refused the gateway: its user must allow all the gateway does. */
  const gatewayErrors: string[] = [];

  const gateConnect = (gateId: string, password: string) =>
    connect({
      servers: server.url,
      user: gateUser(STATION, gateId),
      pass: password,
      inboxPrefix: deviceInbox(STATION, gateId),
      maxReconnectAttempts: 0,
    });
  const tapBody = (gateId: string) => ({
    v: 1,
    tapId: uniqueId('tap'),
    stationId: STATION,
    gateId,
    mode: 'entry',
    temperatureC: 36.5,
    credential: { kind: 'card', cardNo: 'C-perm-1' },
  });

  beforeAll(async () => {
    const configFile = join(dir, 'gates.conf');
    writeFileSync(configFile, gatesConfig(access), { mode: 0o600 });
    server = await PrivateNats.start({ configFile });
    authority = await startAuthority();
    // Credentials in NATS_URL, as an operator would configure them.
    gw = await startTestGateway(authority.url, {
      env: {
        NATS_URL: `nats://${access.gateway.user}:${access.gateway.password}@127.0.0.1:${server.port}`,
        // Per-device credentials: a device is answered only on its own inbox.
        GATE_REPLY_INBOX: 'device-inbox',
      },
    });
    gate1 = await gateConnect(g01, access.gates[0].password);
    void (async () => {
      for await (const s of gw.nats.status())
        if (s.type === 'error') gatewayErrors.push(statusText(s.data));
    })();
  });

  afterAll(async () => {
    for (const nc of [gate1, ...extra]) await nc?.close();
    await gw?.close();
    await authority?.close();
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets G01 tap as itself through a gateway that connected with its own user', async () => {
    const body = tapBody(g01);
    const m = await gate1.request(`metro.gate.${STATION}.${g01}.tap`, json.encode(body), {
      timeout: 5_000,
    });
    const reply = json.decode(m.data) as GateReply;
    expect(reply).toMatchObject({ tapId: body.tapId, outcome: 'see-staff' });
    expect(reply.reasons).toEqual(['VENUE_CHECK_REQUIRED']);
  });

  it('refuses G01 publishing as G02: a permissions violation, and the gateway never hears it', async () => {
    // The server's refusal is the event that matters: once it came, the message is gone.
    const violation = new Promise<string>((resolve) => {
      void (async () => {
        for await (const s of gate1.status())
          if (s.type === 'error' && /PERMISSIONS_VIOLATION/.test(statusText(s.data)))
            return resolve(statusText(s.data));
      })();
    });
    const body = tapBody(g02);
    await expect(
      gate1.request(`metro.gate.${STATION}.${g02}.tap`, json.encode(body), { timeout: 1_000 }),
    ).rejects.toThrow(/permissions|timeout|TIMEOUT/i);
    expect(await violation).toMatch(/PERMISSIONS_VIOLATION/);
    expect(gw.logs.text).not.toContain(body.tapId);
  });

  it('refuses G01 reading other gates: their taps, commands or inboxes', async () => {
    for (const subject of [
      'metro.gate.*.*.tap',
      `metro.gate.${STATION}.${g02}.cmd`,
      `${deviceInbox(STATION, g02)}.>`,
      '_INBOX.>',
    ]) {
      // The server refuses the subscription; nats.js hands the violation to the callback.
      const ended = await new Promise<string>((resolve) => {
        const timer = setTimeout(() => resolve('still open'), 1_000);
        gate1.subscribe(subject, {
          callback: (err) => {
            clearTimeout(timer);
            resolve(err ? err.message : 'a message arrived');
          },
        });
      });
      expect({ subject, ended }).toEqual({
        subject,
        ended: expect.stringMatching(/permissions violation/i),
      });
    }
  });

  it('lets the gateway command G01, and G01 acknowledge', async () => {
    const sub = gate1.subscribe(`metro.gate.${STATION}.${g01}.cmd`, {
      callback: (_e, m) => m.respond(json.encode({ v: 1, ok: true })),
    });
    await gate1.flush();
    const ack = await gw.nats.request(
      `metro.gate.${STATION}.${g01}.cmd`,
      json.encode({ v: 1, cmd: 'open-once', passId: 'p-1', reason: 'test' }),
      { timeout: 2_000 },
    );
    expect(json.decode(ack.data)).toEqual({ v: 1, ok: true });
    sub.unsubscribe();
  });

  /**
   * Publishes once as `nc`; resolves with the server's permission error, or null if none came.
   * The server names no subject in it, so callers publish one refused subject at a time.
   */
  async function publishRefused(nc: NatsConnection, subject: string): Promise<string | null> {
    const seen = new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 1_000);
      void (async () => {
        for await (const s of nc.status())
          if (s.type === 'error' && /PERMISSIONS_VIOLATION/i.test(statusText(s.data))) {
            clearTimeout(timer);
            return resolve(`permissions violation on ${subject}`);
          }
      })();
    });
    nc.publish(subject, json.encode({ v: 1, cmd: 'open-once', passId: 'forged', reason: 'x' }));
    return seen;
  }

  /** Subscribes as `nc` and counts what arrives on `subject`. */
  async function listen(nc: NatsConnection, subject: string): Promise<{ count: () => number }> {
    let n = 0;
    nc.subscribe(subject, { callback: () => n++ });
    await nc.flush();
    return { count: () => n };
  }

  it("answers G01's taps only on its own inbox: never on a gate's cmd, a broadcast or another inbox", async () => {
    const gate2 = await gateConnect(g02, access.gates[1].password);
    const gwUser = await connect({
      servers: server.url,
      user: access.gateway.user,
      pass: access.gateway.password,
      inboxPrefix: `${GATEWAY_INBOX_PREFIX}.listener`,
      maxReconnectAttempts: 0,
    });
    extra.push(gate2, gwUser);
    const results = await replyAbuse({
      sender: gate1,
      stationId: STATION,
      gateId: g01,
      feed: gwUser,
      control: gw.nats,
      listeners: [
        { subject: gateCommandSubject(STATION, g02), nc: gate2 },
        { subject: gateCommandSubject(STATION, g01), nc: gate1 },
        { subject: EVENTS.rulesChanged, nc: gwUser },
        { subject: EVENTS.riderRevoked, nc: gwUser },
        { subject: `${EVENTS.stationFeed}.S9999`, nc: gwUser },
        { subject: `${GATEWAY_INBOX_PREFIX}.abuse`, nc: gwUser },
        // Per-device credentials: an inbox, but another device's.
        { subject: `${deviceInbox(STATION, g02)}.abuse`, nc: gate2 },
      ],
    });
    expect(results).toEqual(results.map((r) => ({ subject: r.subject, heard: [] })));
    expect(gatewayErrors).toEqual([]);
  });

  it("refuses G01 commanding another gate: G02's cmd subject never carries it", async () => {
    const gate2 = await gateConnect(g02, access.gates[1].password);
    extra.push(gate2);
    const heard = await listen(gate2, `metro.gate.${STATION}.${g02}.cmd`);
    const refused = await publishRefused(gate1, `metro.gate.${STATION}.${g02}.cmd`);
    expect(refused).toMatch(/permissions violation/i);
    // Its own cmd subject is the gateway's to publish on, not the gate's.
    expect(await publishRefused(gate1, `metro.gate.${STATION}.${g01}.cmd`)).toMatch(
      /permissions violation/i,
    );
    await gate2.flush();
    expect(heard.count()).toBe(0);
  });

  it("refuses G01 publishing the gateway's broadcasts or the authority's notices", async () => {
    // A second connection of the gateway's user listens where the instances listen.
    const gwUser = await connect({
      servers: server.url,
      user: access.gateway.user,
      pass: access.gateway.password,
      inboxPrefix: GATEWAY_INBOX_PREFIX,
      maxReconnectAttempts: 0,
    });
    extra.push(gwUser);
    for (const subject of [
      EVENTS.rulesChanged,
      EVENTS.riderRevoked,
      `${EVENTS.stationFeed}.${STATION}`,
      EVENTS.authorityStatusChanged,
      'gateway.events.anything',
    ]) {
      const heard = subject.endsWith('anything') ? null : await listen(gwUser, subject);
      expect({ subject, refused: await publishRefused(gate1, subject) }).toEqual({
        subject,
        refused: expect.stringMatching(/permissions violation/i),
      });
      await gwUser.flush();
      expect({ subject, heard: heard?.count() ?? 0 }).toEqual({ subject, heard: 0 });
    }
  });

  it("gives the gateway's own user only what the gateway uses", async () => {
    const gwUser = await connect({
      servers: server.url,
      user: access.gateway.user,
      pass: access.gateway.password,
      maxReconnectAttempts: 0,
    });
    extra.push(gwUser);
    // It may not speak for a gate, use JetStream, or invent broadcasts...
    for (const subject of [
      `metro.gate.${STATION}.${g01}.tap`,
      `metro.checkpoint.${STATION}.D01.scan`,
      '$JS.API.STREAM.LIST',
      'gateway.events.anything',
      EVENTS.authorityStatusChanged,
    ])
      expect({ subject, refused: await publishRefused(gwUser, subject) }).toEqual({
        subject,
        refused: expect.stringMatching(/permissions violation/i),
      });
    // ...nor read a device's inbox or every inbox.
    for (const subject of [`${deviceInbox(STATION, g01)}.>`, '_INBOX.>']) {
      const ended = await new Promise<string>((resolve) => {
        const timer = setTimeout(() => resolve('still open'), 1_000);
        gwUser.subscribe(subject, {
          callback: (err) => {
            clearTimeout(timer);
            resolve(err ? err.message : 'a message arrived');
          },
        });
      });
      expect({ subject, ended }).toEqual({
        subject,
        ended: expect.stringMatching(/permissions violation/i),
      });
    }
  });

  it('lets the gateway do all it does with its own user: no violation on its connection', async () => {
    // Taps answered see-staff (the station feed was published), a command sent (its inbox
    // read) above; now a revocation and a rule change are broadcast.
    const r = await rider(gw.url, authority.url, healthy(Date.now()));
    await request(gw.url)
      .delete(`/riders/${r.riderId}/authorization`)
      .set(await bearer({ sub: r.riderId, role: 'rider' }))
      .expect(204);
    gw.nats.publish(EVENTS.rulesChanged, json.encode({ hint: true }));
    // The server answers a refused publish before the PONG of a later PING: after the flush,
    // any violation of the publishes above has been reported.
    await gw.nats.flush();
    expect(gatewayErrors).toEqual([]);
  });

  it('refuses a wrong password, and gives anonymous clients nothing to publish', async () => {
    await expect(gateConnect(g02, 'not-the-password')).rejects.toThrow(/authorization/i);
    const anon = await connect({ servers: server.url, maxReconnectAttempts: 0 });
    extra.push(anon);
    await expect(
      anon.request(`metro.gate.${STATION}.${g02}.tap`, json.encode(tapBody(g02)), {
        timeout: 1_000,
      }),
    ).rejects.toThrow(/permissions|timeout|TIMEOUT/i);
  });
});

/** Without per-device credentials anyone may publish a tap: the reply subject is still checked. */
describe('a tap naming a reply subject that is not an inbox, on a NATS without permissions', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let stray: NatsConnection;
  let listener: NatsConnection;
  const station = uniqueId('S').slice(0, 24);
  const gate = uniqueId('G').slice(0, 24);

  beforeAll(async () => {
    authority = await startAuthority();
    gw = await startTestGateway(authority.url);
    stray = await natsClient();
    listener = await natsClient();
  });

  afterAll(async () => {
    await stray?.close();
    await listener?.close();
    await gw?.close();
    await authority?.close();
  });

  it('is answered nowhere: not on a gate cmd, a broadcast or the gateway inbox', async () => {
    const results = await replyAbuse({
      sender: stray,
      stationId: station,
      gateId: gate,
      feed: listener,
      control: stray,
      listeners: [
        { subject: gateCommandSubject(station, gate), nc: listener },
        { subject: gateCommandSubject(station, 'G99'), nc: listener },
        { subject: EVENTS.rulesChanged, nc: listener },
        { subject: EVENTS.riderRevoked, nc: listener },
        { subject: `${EVENTS.stationFeed}.${station}-other`, nc: listener },
        { subject: `${GATEWAY_INBOX_PREFIX}.abuse`, nc: listener },
        { subject: 'metro.anything.at.all', nc: listener },
      ],
    });
    expect(results).toEqual(results.map((r) => ({ subject: r.subject, heard: [] })));
  });

  it('is answered on an inbox, as the protocol says', async () => {
    const { good } = abusiveTaps(station, gate);
    const m = await stray.request(tapSubject(station, gate), json.encode(good), { timeout: 5_000 });
    expect(json.decode(m.data)).toMatchObject({ tapId: good.tapId });
  });
});
