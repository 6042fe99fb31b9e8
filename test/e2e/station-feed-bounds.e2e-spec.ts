import type { RunningAuthority } from '../../apps/health-authority/src/app';
import {
  startAuthority,
  startTestGateway,
  tokenFor,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';

/** One console's feed request: its status, and (for a 200) when its body ended. */
interface Stream {
  status: number;
  code?: string;
  ended: Promise<number>;
  close(): void;
}

async function follow(gw: GatewayUnderTest, station: string, token: string): Promise<Stream> {
  const abort = new AbortController();
  const res = await fetch(`${gw.url}/stations/${station}/feed`, {
    headers: { authorization: `Bearer ${token}` },
    signal: abort.signal,
  });
  if (!res.ok) {
    const body = (await res.json()) as { code?: string };
    return { status: res.status, code: body.code, ended: Promise.resolve(0), close: () => {} };
  }
  const ended = (async () => {
    try {
      for await (const _chunk of res.body ?? []) {
        // keep reading: pings and taps
      }
    } catch {
      // aborted by close()
    }
    return Date.now();
  })();
  return { status: res.status, ended, close: () => abort.abort() };
}

const staffToken = (station: string, ttlSeconds = 600) =>
  tokenFor({ sub: uniqueId('staff'), role: 'staff', station }, ttlSeconds);

describe('staff feed streams are bounded: a cap per station, and no longer than their token', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  const streams: Stream[] = [];
  const open = async (station: string, ttlSeconds?: number) => {
    const s = await follow(gw, station, await staffToken(station, ttlSeconds));
    streams.push(s);
    return s;
  };

  beforeAll(async () => {
    authority = await startAuthority();
    gw = await startTestGateway(authority.url, { env: { FEED_STREAMS_PER_STATION: '2' } });
  });

  afterAll(async () => {
    for (const s of streams) s.close();
    await gw.close();
    await authority.close();
  });

  it('serves FEED_STREAMS_PER_STATION consoles per station, refuses the next with 429, frees a closed one', async () => {
    const station = uniqueId('SF');
    const [a, b] = [await open(station), await open(station)];
    expect([a.status, b.status]).toEqual([200, 200]);
    const third = await open(station);
    expect({ status: third.status, code: third.code }).toEqual({
      status: 429,
      code: 'FEED_STREAMS_FULL',
    });
    // Another station has its own count.
    expect((await open(uniqueId('SF'))).status).toBe(200);
    // A console that leaves frees its place (once the server has seen it go).
    a.close();
    let again: Stream | null = null;
    for (let i = 0; i < 50 && again?.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = await open(station);
    }
    expect(again?.status).toBe(200);
  });

  it('ends a stream when its token expires, and the token opens no other', async () => {
    const station = uniqueId('SF');
    const token = await staffToken(station, 2);
    const expiresAt = (
      JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as {
        exp: number;
      }
    ).exp;
    const s = await follow(gw, station, token);
    streams.push(s);
    expect(s.status).toBe(200);
    const endedAt = await s.ended;
    // Ended by the server at the token's expiry (seconds resolution), not by the reader.
    expect(endedAt).toBeGreaterThanOrEqual(expiresAt * 1000 - 50);
    expect(endedAt).toBeLessThan(expiresAt * 1000 + 1_500);
    const reopened = await follow(gw, station, token);
    expect({ status: reopened.status, code: reopened.code }).toEqual({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
  }, 15_000);
});
