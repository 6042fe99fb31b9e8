import { JSONCodec, type NatsConnection, type Subscription } from 'nats';
import { healthy, rideCode, rider } from '../support/factories';
import {
  bearer,
  natsClient,
  startAuthority,
  startTestGateway,
  tap,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { STATION_FEED_SUBJECT } from '../../apps/gateway/src/feed/station-feed.service';
import { eventually } from './support/browser';

jest.setTimeout(30_000);

/** The staff console's feed, read the way the page reads it: fetch with the bearer header. */
class FeedReader {
  readonly events: { type: string; data: string }[] = [];
  private readonly abort = new AbortController();
  status = 0;

  static async open(url: string, authorization: string): Promise<FeedReader> {
    const r = new FeedReader();
    const res = await fetch(url, { headers: { authorization }, signal: r.abort.signal });
    r.status = res.status;
    if (res.ok && res.body) void r.read(res.body);
    else await res.text();
    return r;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end).split('\n');
          buffer = buffer.slice(end + 2);
          const type =
            block
              .find((l) => l.startsWith('event:'))
              ?.slice(6)
              .trim() ?? 'message';
          const data =
            block
              .find((l) => l.startsWith('data:'))
              ?.slice(5)
              .trim() ?? '';
          this.events.push({ type, data });
        }
      }
    } catch {
      // aborted by close()
    }
  }

  taps(): Record<string, unknown>[] {
    return this.events.filter((e) => e.type === 'tap').map((e) => JSON.parse(e.data));
  }

  close(): void {
    this.abort.abort();
  }
}

describe('the station feed (SSE) across gateway instances', () => {
  let authority: RunningAuthority;
  let a: GatewayUnderTest;
  let b: GatewayUnderTest;
  let nc: NatsConnection;
  const station = 'S0312';
  const readers: FeedReader[] = [];
  const staff = () => bearer({ sub: uniqueId('staff'), role: 'staff', station });
  const openFeed = async (gw: GatewayUnderTest, auth: { authorization: string }) => {
    const r = await FeedReader.open(`${gw.url}/stations/${station}/feed`, auth.authorization);
    readers.push(r);
    return r;
  };

  beforeAll(async () => {
    authority = await startAuthority();
    [a, b] = await Promise.all([startTestGateway(authority.url), startTestGateway(authority.url)]);
    nc = await natsClient();
  });

  afterAll(async () => {
    for (const r of readers) r.close();
    await nc?.drain();
    await Promise.all([a?.close(), b?.close()]);
    await authority?.close();
  });

  it('refuses a missing token and staff of another station', async () => {
    expect((await FeedReader.open(`${a.url}/stations/${station}/feed`, '')).status).toBe(401);
    const other = await bearer({ sub: uniqueId('staff'), role: 'staff', station: 'S0105' });
    expect((await openFeed(a, other)).status).toBe(403);
    const operator = await bearer({ sub: uniqueId('op'), role: 'operator' });
    expect((await openFeed(a, operator)).status).toBe(403);
  });

  it('pushes every see-staff and deny at the station once to each instance, without health values', async () => {
    const [onA, onB] = [await openFeed(a, await staff()), await openFeed(b, await staff())];
    expect([onA.status, onB.status]).toEqual([200, 200]);
    const wire: Uint8Array[] = [];
    const sub: Subscription = nc.subscribe(`${STATION_FEED_SUBJECT}.${station}`, {
      callback: (_e, m) => wire.push(m.data),
    });
    await nc.flush();

    const gateId = uniqueId('G');
    const feverish = await rider(a.url, authority.url, healthy(Date.now()));
    const tapIds: string[] = [];
    for (let i = 0; i < 6; i++) {
      const tapId = uniqueId('tap');
      tapIds.push(tapId);
      // Queue-group delivery spreads these over both instances.
      const r = await tap(nc, {
        stationId: station,
        gateId,
        tapId,
        temperatureC: 38.6,
        credential: { kind: 'ride-code', code: await rideCode(a.url, feverish.riderId) },
      });
      expect(r).toMatchObject({ outcome: 'see-staff', reasons: ['TEMPERATURE_HIGH'] });
    }
    const opened = await tap(nc, {
      stationId: station,
      gateId,
      credential: { kind: 'ride-code', code: await rideCode(a.url, feverish.riderId) },
    });
    expect(opened.outcome).toBe('open');

    for (const reader of [onA, onB]) {
      await eventually(async () =>
        expect(
          reader
            .taps()
            .filter((e) => e.gateId === gateId)
            .map((e) => e.tapId),
        ).toEqual([...tapIds]),
      );
    }
    expect(onB.taps().find((e) => e.tapId === tapIds[0])).toEqual({
      stationId: station,
      gateId,
      tapId: tapIds[0],
      mode: 'entry',
      credentialKind: 'ride-code',
      outcome: 'see-staff',
      reasons: ['TEMPERATURE_HIGH'],
      display: expect.objectContaining({ en: expect.any(String), zh: expect.any(String) }),
      decidedAt: expect.stringMatching(/\+08:00$/),
    });
    sub.unsubscribe();
    const text = wire.map((d) => new TextDecoder().decode(d)).join('\n');
    expect(text).not.toContain('38.6');
    expect(text).not.toContain(feverish.riderId);
    expect(text).not.toContain('display');
  });

  it('relays other instances’ events and drops unreadable ones', async () => {
    const reader = await openFeed(b, await staff());
    const json = JSONCodec<unknown>();
    const base = {
      stationId: station,
      gateId: uniqueId('G'),
      mode: 'entry',
      credentialKind: 'card',
      outcome: 'deny',
      reasons: ['CARD_BLOCKED'],
      decidedAt: '2022-06-01T08:00:00.000+08:00',
      origin: 'another-instance',
      tapId: 'placeholder',
    };
    const subject = `${STATION_FEED_SUBJECT}.${station}`;
    const bogus = [
      { ...base, tapId: 'bogus-001', reasons: ['NOT_A_REASON'] },
      // Named for this station, published on another station's subject (and the reverse).
      { ...base, tapId: 'bogus-002' },
      { ...base, tapId: 'bogus-003', stationId: 'S0105' },
      { ...base, tapId: 'bogus-004', outcome: 'see-staff' }, // CARD_BLOCKED forces a deny
      { ...base, tapId: 'bogus-005', credentialKind: 'passport' },
      { ...base, tapId: 'bogus-006', decidedAt: 'now' },
      { ...base, tapId: 'bogus-007', gateId: '<img src=x>' },
    ];
    for (const [i, b] of bogus.entries())
      nc.publish(i === 1 ? `${STATION_FEED_SUBJECT}.S0105` : subject, json.encode(b));
    nc.publish(subject, new TextEncoder().encode('not json'));
    nc.publish(subject, json.encode({ ...base, tapId: 'relayed-1', health: { colour: 'red' } }));
    await eventually(async () => expect(reader.taps().map((e) => e.tapId)).toContain('relayed-1'));
    expect(reader.taps().filter((e) => String(e.tapId).startsWith('bogus'))).toEqual([]);
    expect(reader.taps().find((e) => e.tapId === 'relayed-1')).not.toHaveProperty('health');
    expect(reader.taps().find((e) => e.tapId === 'relayed-1')?.display).toEqual({
      zh: expect.any(String),
      en: expect.any(String),
    });
  });
});
