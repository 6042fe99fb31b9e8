import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSONCodec, connect, type NatsConnection } from 'nats';
import type { GateReply } from '@app/protocol';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import {
  deviceInbox,
  gateUser,
  gatesConfig,
  newPassword,
  type NatsAccess,
} from '../../scripts/nats/gates-conf';
import { PrivateNats } from '../support/nats-server';
import {
  startAuthority,
  startTestGateway,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';

const json = JSONCodec<unknown>();
const STATION = 'S0312';

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
      },
    });
    gate1 = await gateConnect(g01, access.gates[0].password);
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
    const errors: string[] = [];
    void (async () => {
      for await (const s of gate1.status())
        if (s.type === 'error') errors.push(JSON.stringify(s.data));
    })();
    const body = tapBody(g02);
    await expect(
      gate1.request(`metro.gate.${STATION}.${g02}.tap`, json.encode(body), { timeout: 1_000 }),
    ).rejects.toThrow(/permissions|timeout|TIMEOUT/i);
    await new Promise((r) => setTimeout(r, 200));
    expect(gw.logs.text).not.toContain(body.tapId);
    expect(errors.join('\n')).toMatch(/PERMISSIONS_VIOLATION/);
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
