/**
 * Simulated fare gates and checkpoint scanners. They speak gate protocol v1 with a raw nats client,
 * exactly as a vendor's device would: no gateway code, no framework. Importing this has no side effects.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, type NatsConnection, type Subscription } from 'nats';
import {
  PROTOCOL_VERSION,
  gateCommandSubject,
  parseGateCommand,
  scanSubject,
  tapSubject,
  type CheckpointCredential,
  type GateCommand,
  type GateCommandAck,
  type GateCredential,
  type GateReply,
  type ScanRequest,
  type TapRequest,
} from '../../libs/protocol/src';

/** All a device needs from a connection; a test may hand in a tiny double. */
export type Requester = Pick<NatsConnection, 'request'>;

export interface DeviceOptions {
  /** Per attempt. */
  timeoutMs?: number;
  /** Further attempts after the first one times out, each with the same tapId. */
  retries?: number;
}

export interface TapInput {
  mode: 'entry' | 'exit';
  temperatureC: number | null;
  credential: GateCredential;
  /** Re-send a tap the gate already made (same tapId); a fresh one is chosen when absent. */
  tapId?: string;
}

export interface ScanInput {
  temperatureC: number | null;
  credential: CheckpointCredential;
  tapId?: string;
}

export interface TapResult {
  reply: GateReply;
  /** Wall time from the first send to the answer, across attempts. */
  latencyMs: number;
  attempts: number;
  tapId: string;
}

/** No gateway answered a tap, after every attempt. */
export class TapUnansweredError extends Error {
  constructor(
    readonly subject: string,
    readonly tapId: string,
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    super(
      `no answer on ${subject} for tap ${tapId} after ${attempts} attempt(s): ${describe(lastError)}`,
    );
    this.name = 'TapUnansweredError';
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NO_RESPONDERS_PAUSE_MS = 200;

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === ErrorCode.Timeout || code === ErrorCode.NoResponders;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Tap ids `<device>-<counter>-<boot nonce>`: unique per physical tap, across gate restarts. */
class TapIds {
  private counter = 0;
  private readonly nonce = randomBytes(4).toString('hex');

  constructor(private readonly deviceId: string) {}

  next(): string {
    this.counter += 1;
    return `${this.deviceId}-${String(this.counter).padStart(9, '0')}-${this.nonce}`;
  }
}

/** One request with the gate's retry discipline: on timeout or no responders, the same body again. */
async function requestWithRetries(
  nc: Requester,
  subject: string,
  body: TapRequest | ScanRequest,
  timeoutMs: number,
  retries: number,
): Promise<TapResult> {
  const payload = encoder.encode(JSON.stringify(body));
  const started = process.hrtime.bigint();
  let lastError: unknown;
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    try {
      const msg = await nc.request(subject, payload, { timeout: timeoutMs });
      const reply = JSON.parse(decoder.decode(msg.data)) as GateReply;
      const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
      return { reply, latencyMs, attempts: attempt, tapId: body.tapId };
    } catch (err) {
      if (!isRetryable(err)) throw err;
      lastError = err;
      // A timeout already waited; with nobody listening, pause before trying again.
      if ((err as { code?: unknown }).code === ErrorCode.NoResponders && attempt <= retries) {
        await sleep(Math.min(NO_RESPONDERS_PAUSE_MS, timeoutMs));
      }
    }
  }
  throw new TapUnansweredError(subject, body.tapId, retries + 1, lastError);
}

/** What gates and scanners share: tap ids, and the retry discipline with its settings. */
abstract class SimDevice {
  private readonly ids: TapIds;
  private readonly timeoutMs: number;
  private readonly retries: number;

  constructor(
    private readonly nc: Requester,
    readonly stationId: string,
    deviceId: string,
    opts: DeviceOptions,
  ) {
    this.ids = new TapIds(deviceId);
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.retries = opts.retries ?? 2;
  }

  abstract get subject(): string;

  protected send(body: TapRequest | ScanRequest): Promise<TapResult> {
    return requestWithRetries(this.nc, this.subject, body, this.timeoutMs, this.retries);
  }

  protected nextTapId(given: string | undefined): string {
    return given ?? this.ids.next();
  }
}

export class SimGate extends SimDevice {
  constructor(
    nc: Requester,
    stationId: string,
    readonly gateId: string,
    opts: DeviceOptions = {},
  ) {
    super(nc, stationId, gateId, opts);
  }

  get subject(): string {
    return tapSubject(this.stationId, this.gateId);
  }

  /** The body the gate sends for this tap. */
  body(input: TapInput, tapId: string): TapRequest {
    return {
      v: PROTOCOL_VERSION,
      tapId,
      stationId: this.stationId,
      gateId: this.gateId,
      mode: input.mode,
      temperatureC: input.temperatureC,
      credential: input.credential,
    };
  }

  tap(input: TapInput): Promise<TapResult> {
    return this.send(this.body(input, this.nextTapId(input.tapId)));
  }
}

/** A security-checkpoint scanner: same exchange on `metro.checkpoint.<station>.<device>.scan`. */
export class SimCheckpoint extends SimDevice {
  constructor(
    nc: Requester,
    stationId: string,
    readonly deviceId: string,
    opts: DeviceOptions = {},
  ) {
    super(nc, stationId, deviceId, opts);
  }

  get subject(): string {
    return scanSubject(this.stationId, this.deviceId);
  }

  body(input: ScanInput, tapId: string): ScanRequest {
    return {
      v: PROTOCOL_VERSION,
      tapId,
      stationId: this.stationId,
      deviceId: this.deviceId,
      temperatureC: input.temperatureC,
      credential: input.credential,
    };
  }

  scan(input: ScanInput): Promise<TapResult> {
    return this.send(this.body(input, this.nextTapId(input.tapId)));
  }
}

export interface CommandResponder {
  /** Commands acknowledged so far. */
  readonly acknowledged: number;
  readonly subscription: Subscription;
  stop(): void;
}

/**
 * The gate's side of `metro.gate.<station>.<gate>.cmd`: it "opens" and acknowledges `{"v":1,"ok":true}`.
 * The handler sees each well-formed command; anything else is acknowledged with ok:false and
 * opens nothing.
 */
export function respondToCommands(
  nc: Pick<NatsConnection, 'subscribe'>,
  stationId: string,
  gateId: string,
  handler: (cmd: GateCommand) => void = () => undefined,
): CommandResponder {
  let acknowledged = 0;
  const subscription = nc.subscribe(gateCommandSubject(stationId, gateId), {
    callback: (err, msg) => {
      if (err) return;
      // Only a well-formed open-once opens: a tap reply or any other JSON sent here does not.
      const cmd = parseGateCommand(msg.data);
      let ack: GateCommandAck = { v: 1, ok: false };
      if (cmd !== null) {
        handler(cmd);
        ack = { v: 1, ok: true };
        acknowledged += 1;
      }
      msg.respond(encoder.encode(JSON.stringify(ack)));
    },
  });
  return {
    get acknowledged() {
      return acknowledged;
    },
    subscription,
    stop: () => subscription.unsubscribe(),
  };
}
