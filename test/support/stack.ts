import { Writable } from 'node:stream';
import pino from 'pino';
import { connect, JSONCodec, type NatsConnection } from 'nats';
import { Client } from 'pg';
import { loadKeySet, newKeySet, type LoadedKeySet } from '@app/ride-code';
import {
  accessSigner,
  accessVerifier,
  mintAccessToken,
  newAccessKeyFile,
  type AccessKeyFile,
  type AccessSigner,
  type Principal,
} from '@app/access-token';
import type { GateReply, GateCredential } from '@app/protocol';
import { bootstrapAuthority, type RunningAuthority } from '../../apps/health-authority/src/app';
import { startGateway, type RunningGateway } from '../../apps/gateway/src/bootstrap';
import { loadConfig, type GatewayConfig } from '../../apps/gateway/src/config';
import type { Clock } from '../../apps/gateway/src/common/clock';
import { randomIdNumber, testDatabaseUrl, testNatsUrl, uniqueId } from './db';
import type { OpenServers } from './server-environment';

export const AUTHORITY_KEY = 'test-authority-key';
const json = JSONCodec<unknown>();

export { randomIdNumber, testDatabaseUrl, uniqueId };
const natsUrl = testNatsUrl;

/** Everything the gateway logged, for assertions (e.g. that no health value was logged). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.lines.push(chunk.toString());
    done();
  }
  get text(): string {
    return this.lines.join('');
  }
}

/** A server the test environment closes at the end of the file if the file did not. */
function tracked<T extends { close(): Promise<void> }>(server: T): T {
  const open = ((globalThis as OpenServers).__openServers ??= new Set());
  const close = server.close.bind(server);
  const closable = Object.assign(server, {
    close: () => {
      open.delete(closable);
      return close();
    },
  });
  open.add(closable);
  return closable;
}

export async function startAuthority(): Promise<RunningAuthority> {
  return tracked(
    await bootstrapAuthority(
      { port: 0, host: '127.0.0.1', natsUrl: natsUrl(), apiKey: AUTHORITY_KEY, logLevel: 'silent' },
      pino({ level: 'silent' }),
    ),
  );
}

let sharedKeys: Promise<LoadedKeySet> | null = null;
/** One key set per test process: importing keys is slow and not what is under test. */
export const testKeys = (): Promise<LoadedKeySet> =>
  (sharedKeys ??= newKeySet('test-k1').then(loadKeySet));

let accessKeys: Promise<AccessKeyFile> | null = null;
const testAccessKeys = (): Promise<AccessKeyFile> =>
  (accessKeys ??= newAccessKeyFile('test-access'));

/** The identity provider's signing key that gateways under test trust, to craft tokens with. */
export const testAccessSigner = async (): Promise<AccessSigner> =>
  accessSigner(await testAccessKeys());

/** A bearer token for the gateway under test, as the identity provider would issue it. */
export async function tokenFor(p: Principal, ttlSeconds = 600): Promise<string> {
  return mintAccessToken(await testAccessSigner(), p, ttlSeconds);
}

export const bearer = async (p: Principal): Promise<{ authorization: string }> => ({
  authorization: `Bearer ${await tokenFor(p)}`,
});

export interface GatewayUnderTest extends RunningGateway {
  config: GatewayConfig;
  logs: LogCapture;
}

export async function startTestGateway(
  authorityUrl: string,
  opts: { clock?: Clock; env?: Record<string, string>; keys?: LoadedKeySet } = {},
): Promise<GatewayUnderTest> {
  const config = loadConfig({
    PORT: '0',
    ADMIN_PORT: '0',
    DATABASE_URL: testDatabaseUrl(),
    NATS_URL: natsUrl(),
    AUTHORITY_URL: authorityUrl,
    AUTHORITY_API_KEY: AUTHORITY_KEY,
    ID_HASH_KEY: 'test-id-hash-key-0123456789',
    LOG_LEVEL: 'info',
    // Taps under test are decided, not cut short by a loaded 2-core machine; the tests of the
    // deadline itself set their own.
    TAP_DEADLINE_MS: '3000',
    ...opts.env,
  });
  const logs = new LogCapture();
  const gw = await startGateway(config, {
    clock: opts.clock,
    logger: pino({ level: 'info' }, logs),
    rideCodeKeys: opts.keys ?? (await testKeys()),
    accessVerifier: await accessVerifier(await testAccessKeys()),
  });
  return tracked({ ...gw, config, logs });
}

export async function natsClient(): Promise<NatsConnection> {
  return connect({ servers: natsUrl(), maxReconnectAttempts: -1 });
}

export interface TapInput {
  stationId: string;
  gateId: string;
  tapId?: string;
  mode?: 'entry' | 'exit';
  temperatureC?: number | null;
  credential: GateCredential;
}

/** A raw gate tap, as a vendor's gate sends it. */
export async function tap(nc: NatsConnection, t: TapInput): Promise<GateReply> {
  const body = {
    v: 1,
    tapId: t.tapId ?? uniqueId('tap-'),
    stationId: t.stationId,
    gateId: t.gateId,
    mode: t.mode ?? 'entry',
    temperatureC: t.temperatureC === undefined ? 36.5 : t.temperatureC,
    credential: t.credential,
  };
  return rawRequest(nc, `metro.gate.${t.stationId}.${t.gateId}.tap`, body);
}

export async function rawRequest(
  nc: NatsConnection,
  subject: string,
  body: unknown,
): Promise<GateReply> {
  const data =
    body instanceof Uint8Array
      ? body
      : typeof body === 'string'
        ? new TextEncoder().encode(body)
        : json.encode(body);
  const m = await nc.request(subject, data, { timeout: 5_000 });
  return json.decode(m.data) as GateReply;
}

/** The usual e2e fixture: an authority, a gateway, a raw NATS client (a gate) and a pg client. */
export interface TestStack {
  authority: RunningAuthority;
  gw: GatewayUnderTest;
  nc: NatsConnection;
  db: Client;
  close(): Promise<void>;
}

export async function startStack(
  opts: Parameters<typeof startTestGateway>[1] = {},
): Promise<TestStack> {
  const authority = await startAuthority();
  const gw = await startTestGateway(authority.url, opts);
  const nc = await natsClient();
  const db = new Client({ connectionString: testDatabaseUrl() });
  await db.connect();
  return {
    authority,
    gw,
    nc,
    db,
    async close() {
      await nc.drain();
      await gw.close();
      await authority.close();
      await db.end();
    },
  };
}
