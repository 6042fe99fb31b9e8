import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { connect, JSONCodec, type NatsConnection } from 'nats';
import { loadKeySet, newKeySet, type LoadedKeySet } from '@app/ride-code';
import type { GateReply, GateCredential } from '@app/protocol';
import { bootstrapAuthority, type RunningAuthority } from '../../apps/health-authority/src/app';
import { startGateway, type RunningGateway } from '../../apps/gateway/src/bootstrap';
import { loadConfig, type GatewayConfig } from '../../apps/gateway/src/config';
import type { Clock } from '../../apps/gateway/src/common/clock';

export const AUTHORITY_KEY = 'test-authority-key';
const json = JSONCodec<unknown>();

export const testDatabaseUrl = (): string =>
  process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/gateway_test';
export const natsUrl = (): string => process.env.NATS_URL || 'nats://127.0.0.1:4222';

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

export async function startAuthority(): Promise<RunningAuthority> {
  return bootstrapAuthority(
    { port: 0, host: '127.0.0.1', natsUrl: natsUrl(), apiKey: AUTHORITY_KEY, logLevel: 'silent' },
    pino({ level: 'silent' }),
  );
}

let sharedKeys: Promise<LoadedKeySet> | null = null;
/** One key set per test process: importing keys is slow and not what is under test. */
export const testKeys = (): Promise<LoadedKeySet> => (sharedKeys ??= newKeySet('test-k1').then(loadKeySet));

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
    DATABASE_URL: testDatabaseUrl(),
    NATS_URL: natsUrl(),
    AUTHORITY_URL: authorityUrl,
    AUTHORITY_API_KEY: AUTHORITY_KEY,
    ID_HASH_KEY: 'test-id-hash-key-0123456789',
    LOG_LEVEL: 'info',
    ...opts.env,
  });
  const logs = new LogCapture();
  const gw = await startGateway(config, {
    clock: opts.clock,
    logger: pino({ level: 'info' }, logs),
    rideCodeKeys: opts.keys ?? (await testKeys()),
  });
  return { ...gw, config, logs };
}

/** Ids that match the protocol's ^[A-Za-z0-9_-]{1,32}$, unique per test. */
export const uniqueId = (prefix: string): string => `${prefix}${randomBytes(5).toString('hex')}`;

/** A random ID number with a chosen birth year: ^[0-9]{17}[0-9X]$. */
export function randomIdNumber(birthYear = 1990): string {
  const r = randomBytes(6);
  const mm = String((r[0] % 12) + 1).padStart(2, '0');
  const dd = String((r[1] % 28) + 1).padStart(2, '0');
  const seq = String(r.readUInt16BE(2) % 1000).padStart(3, '0');
  const check = '0123456789X'[r[4] % 11];
  const area = 310101 + (r[5] % 16);
  return `${area}${birthYear}${mm}${dd}${seq}${check}`;
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

export async function rawRequest(nc: NatsConnection, subject: string, body: unknown): Promise<GateReply> {
  const data = body instanceof Uint8Array ? body : typeof body === 'string' ? new TextEncoder().encode(body) : json.encode(body);
  const m = await nc.request(subject, data, { timeout: 5_000 });
  return json.decode(m.data) as GateReply;
}
