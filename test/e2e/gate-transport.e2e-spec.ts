import { JSONCodec, createInbox, type Msg, type NatsConnection } from 'nats';
import {
  EVENTS,
  GATEWAY_INBOX_PREFIX,
  GATEWAY_SERVICE,
  PROBE_SUBJECTS,
  QUEUE_GROUP,
  SCAN_SUBJECTS,
  TAP_SUBJECTS,
  gateCommandSubject,
  type GateReply,
} from '@app/protocol';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import {
  natsClient,
  startAuthority,
  startTestGateway,
  tap,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';

const json = JSONCodec<unknown>();
const STATION = 'S2';

const tapBody = (gateId: string, over: Record<string, unknown> = {}) => ({
  v: 1,
  tapId: uniqueId('tap-'),
  stationId: STATION,
  gateId,
  mode: 'entry',
  temperatureC: 36.5,
  credential: { kind: 'card', cardNo: 'C-transport-1' },
  ...over,
});

/** Waits until `check` holds, looking again after each macrotask; fails after `ms`. */
async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('gate subjects on the Nest transport', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let nc: NatsConnection;

  beforeAll(async () => {
    authority = await startAuthority();
    gw = await startTestGateway(authority.url);
    nc = await natsClient();
  });

  afterAll(async () => {
    await nc.drain();
    await gw.close();
    await authority.close();
  });

  /**
   * Publishes each tap with a reply subject that is not an inbox, then one control tap with an
   * inbox; once the control tap is answered and the gateway counted every refusal, whatever it
   * published has reached `nc`: nothing may have arrived on the hostile subjects.
   */
  async function heardOn(subjects: string[], bodies: (string | object)[]): Promise<string[]> {
    const heard: string[] = [];
    const subs = subjects.map((s) =>
      nc.subscribe(s, { callback: (_e, m: Msg) => heard.push(`${m.subject}: ${m.string()}`) }),
    );
    await nc.flush();
    const refusedBefore = gw.gate.refusedReplies;
    const gateId = uniqueId('G');
    let sent = 0;
    for (const replyTo of subjects)
      for (const body of bodies) {
        const data = typeof body === 'string' ? body : json.encode(body);
        nc.publish(`metro.gate.${STATION}.${gateId}.tap`, data, { reply: replyTo });
        sent++;
      }
    const control = await tap(nc, {
      stationId: STATION,
      gateId,
      credential: { kind: 'card', cardNo: 'C-x' },
    });
    expect(control.v).toBe(1);
    await until(() => gw.gate.refusedReplies - refusedBefore >= sent);
    await nc.flush();
    for (const s of subs) s.unsubscribe();
    expect(gw.gate.refusedReplies - refusedBefore).toBe(sent);
    return heard;
  }

  it("never publishes a reply on a gate's command subject or a gateway broadcast", async () => {
    const gateId = uniqueId('G');
    const hostile = [
      gateCommandSubject(STATION, 'G07'),
      EVENTS.rulesChanged,
      `${EVENTS.stationFeed}.S9`,
      `${GATEWAY_INBOX_PREFIX}.stolen.1`,
      'metro.gate.S2.G07',
    ];
    const heard = await heardOn(hostile, [
      tapBody(gateId),
      'not json at all',
      { v: 1, cmd: 'open-once', passId: 'p', reason: 'r' },
    ]);
    expect(heard).toEqual([]);
  });

  it('answers an inbox reply subject, as a gate with its own credentials names it', async () => {
    const gateId = uniqueId('G');
    const inbox = createInbox(`_INBOX.${STATION}.${gateId}`);
    const reply = new Promise<GateReply>((resolve) => {
      const sub = nc.subscribe(inbox, {
        max: 1,
        callback: (_e, m) => resolve(json.decode(m.data) as GateReply),
      });
      void sub;
    });
    await nc.flush();
    const body = tapBody(gateId);
    nc.publish(`metro.gate.${STATION}.${gateId}.tap`, json.encode(body), { reply: inbox });
    expect(await reply).toMatchObject({ v: 1, tapId: body.tapId });
  });

  it('lists the tap and scan endpoints, in the queue group, to nats micro ($SRV.PING and $SRV.INFO)', async () => {
    await tap(nc, {
      stationId: STATION,
      gateId: 'G01',
      credential: { kind: 'card', cardNo: 'C-y' },
    });
    const ping = json.decode((await nc.request(`$SRV.PING.${GATEWAY_SERVICE}`)).data);
    expect(ping).toMatchObject({ type: 'io.nats.micro.v1.ping_response', name: GATEWAY_SERVICE });
    const info = json.decode((await nc.request(`$SRV.INFO.${GATEWAY_SERVICE}`)).data) as {
      endpoints: { name: string; subject: string; queue_group: string }[];
    };
    expect(info).toMatchObject({ type: 'io.nats.micro.v1.info_response', name: GATEWAY_SERVICE });
    expect(info.endpoints).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'tap', subject: TAP_SUBJECTS, queue_group: QUEUE_GROUP }),
        expect.objectContaining({ name: 'scan', subject: SCAN_SUBJECTS, queue_group: QUEUE_GROUP }),
        expect.objectContaining({
          name: 'probe',
          subject: PROBE_SUBJECTS,
          queue_group: QUEUE_GROUP,
        }),
      ]),
    );
    const stats = json.decode((await nc.request(`$SRV.STATS.${GATEWAY_SERVICE}`)).data) as {
      endpoints: { name: string; num_requests: number; data: unknown }[];
    };
    const tapStats = stats.endpoints.find((e) => e.name === 'tap');
    expect(tapStats?.num_requests).toBeGreaterThan(0);
    expect(tapStats?.data).toEqual({
      inFlight: expect.any(Number),
      refusedReplies: expect.any(Number),
    });
  });
});

describe('gate replies with per-device credentials (GATE_REPLY_INBOX=device-inbox)', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let nc: NatsConnection;

  beforeAll(async () => {
    authority = await startAuthority();
    gw = await startTestGateway(authority.url, { env: { GATE_REPLY_INBOX: 'device-inbox' } });
    nc = await natsClient();
  });

  afterAll(async () => {
    await nc.drain();
    await gw.close();
    await authority.close();
  });

  it("answers only the device's own inbox, never another device's", async () => {
    const gateId = uniqueId('G');
    const other = createInbox(`_INBOX.${STATION}.G07`);
    const heard: string[] = [];
    const sub = nc.subscribe(other, { callback: (_e, m) => heard.push(m.string()) });
    await nc.flush();
    const before = gw.gate.refusedReplies;
    nc.publish(`metro.gate.${STATION}.${gateId}.tap`, json.encode(tapBody(gateId)), {
      reply: other,
    });
    // Its own inbox is answered (the request's reply subject is _INBOX.<station>.<gate>.…).
    const own = await nc.request(
      `metro.gate.${STATION}.${gateId}.tap`,
      json.encode(tapBody(gateId)),
      { reply: createInbox(`_INBOX.${STATION}.${gateId}`), noMux: true, timeout: 5_000 },
    );
    expect((json.decode(own.data) as GateReply).v).toBe(1);
    await until(() => gw.gate.refusedReplies > before);
    await nc.flush();
    sub.unsubscribe();
    expect(heard).toEqual([]);
  });
});
