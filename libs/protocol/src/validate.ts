import type { SubjectAddress } from './subjects';
import type {
  CheckpointCredential,
  GateCommand,
  GateCredential,
  ScanRequest,
  TapRequest,
} from './types';

import {
  ID_NUMBER_PATTERN,
  ID_PATTERN,
  LONG_ID_PATTERN,
  MEDIUM_NO_PATTERN,
  TAP_ID_PATTERN,
  mustMatch,
} from './patterns';

/** Codes are compact JWS or short vendor strings; anything longer is not a code. */
export const MAX_CODE_LENGTH = 2048;
/** Readings outside this range are sensor faults, not body temperatures. */
export const TEMPERATURE_RANGE = { min: 30, max: 45 } as const;

export type Parsed<T> = { ok: true; value: T } | { ok: false; tapId?: string; error: string };

type Json = Record<string, unknown>;

const isObject = (x: unknown): x is Json =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (o: Json, k: string): string | undefined =>
  typeof o[k] === 'string' ? o[k] : undefined;

function fail<T>(error: string, tapId?: string): Parsed<T> {
  return { ok: false, error, tapId };
}

/** A message body as the transport read it: JSON, or why it could not be read. */
export type WireBody = { json: unknown } | { unreadable: string };

/** Decodes a gate's plain-JSON body (strict UTF-8): gates send no envelope. */
export function decodeWireBody(bytes: Uint8Array | string): WireBody {
  let text: string;
  try {
    text =
      typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { unreadable: 'body is not valid UTF-8' };
  }
  try {
    return { json: JSON.parse(text) as unknown };
  } catch {
    return { unreadable: 'body is not JSON' };
  }
}

function decodeJson(input: Uint8Array | string | WireBody): Json | string {
  const body =
    typeof input === 'string' || input instanceof Uint8Array ? decodeWireBody(input) : input;
  if ('unreadable' in body) return body.unreadable;
  return isObject(body.json) ? body.json : 'body is not a JSON object';
}

function readTemperature(o: Json): number | null | string {
  const t = o.temperatureC;
  if (t === null) return null;
  if (typeof t !== 'number' || !Number.isFinite(t)) return 'temperatureC must be a number or null';
  if (t < TEMPERATURE_RANGE.min || t > TEMPERATURE_RANGE.max) {
    return `temperatureC must be within ${TEMPERATURE_RANGE.min}..${TEMPERATURE_RANGE.max}`;
  }
  return t;
}

function codeField(c: Json, field: string): string | null {
  const v = str(c, field);
  return v !== undefined && v.length > 0 && v.length <= MAX_CODE_LENGTH ? v : null;
}

function readGateCredential(c: Json): GateCredential | string {
  const kind = c.kind;
  switch (kind) {
    case 'ride-code':
    case 'offline-code': {
      const code = codeField(c, 'code');
      return code === null ? `credential.code is required for ${kind}` : { kind, code };
    }
    case 'card': {
      const cardNo = str(c, 'cardNo');
      return cardNo !== undefined && MEDIUM_NO_PATTERN.test(cardNo)
        ? { kind, cardNo }
        : mustMatch('credential.cardNo', MEDIUM_NO_PATTERN);
    }
    case 'day-ticket':
    case 'companion-ticket':
    case 'single-journey': {
      const ticketNo = str(c, 'ticketNo');
      return ticketNo !== undefined && MEDIUM_NO_PATTERN.test(ticketNo)
        ? { kind, ticketNo }
        : mustMatch('credential.ticketNo', MEDIUM_NO_PATTERN);
    }
    default:
      return 'credential.kind is not a gate credential';
  }
}

function readCheckpointCredential(c: Json): CheckpointCredential | string {
  const kind = c.kind;
  switch (kind) {
    case 'ride-code':
    case 'offline-code':
    case 'relative-code':
    case 'health-code': {
      const code = codeField(c, 'code');
      return code === null ? `credential.code is required for ${kind}` : { kind, code };
    }
    case 'id-card': {
      const idNumber = str(c, 'idNumber');
      return idNumber !== undefined && ID_NUMBER_PATTERN.test(idNumber)
        ? { kind, idNumber }
        : 'credential.idNumber must be an 18-character ID number';
    }
    default:
      return 'credential.kind is not a checkpoint credential';
  }
}

/** Common header: v, tapId, stationId and the subject check. */
function readHeader(
  o: Json,
  addr: SubjectAddress,
): { tapId: string } | { error: string; tapId?: string } {
  const rawTapId = str(o, 'tapId');
  const tapId = rawTapId !== undefined && TAP_ID_PATTERN.test(rawTapId) ? rawTapId : undefined;
  if (o.v !== 1) return { error: 'v must be 1', tapId };
  if (tapId === undefined) return { error: mustMatch('tapId', TAP_ID_PATTERN) };
  if (!ID_PATTERN.test(addr.stationId))
    return { error: 'subject stationId is not a valid id', tapId };
  if (o.stationId !== addr.stationId)
    return { error: 'stationId disagrees with the subject', tapId };
  return { tapId };
}

export function parseTapRequest(
  addr: SubjectAddress & { kind: 'tap' },
  bytes: Uint8Array | string | WireBody,
): Parsed<TapRequest> {
  const o = decodeJson(bytes);
  if (typeof o === 'string') return fail(o);
  const h = readHeader(o, addr);
  if ('error' in h) return fail(h.error, h.tapId);
  const { tapId } = h;
  if (!ID_PATTERN.test(addr.gateId)) return fail('subject gateId is not a valid id', tapId);
  if (o.gateId !== addr.gateId) return fail('gateId disagrees with the subject', tapId);
  if (o.mode !== 'entry' && o.mode !== 'exit') return fail('mode must be entry or exit', tapId);
  const temperatureC = readTemperature(o);
  if (typeof temperatureC === 'string') return fail(temperatureC, tapId);
  if (!isObject(o.credential)) return fail('credential must be an object', tapId);
  const credential = readGateCredential(o.credential);
  if (typeof credential === 'string') return fail(credential, tapId);
  return {
    ok: true,
    value: {
      v: 1,
      tapId,
      stationId: addr.stationId,
      gateId: addr.gateId,
      mode: o.mode,
      temperatureC,
      credential,
    },
  };
}

export function parseScanRequest(
  addr: SubjectAddress & { kind: 'scan' },
  bytes: Uint8Array | string | WireBody,
): Parsed<ScanRequest> {
  const o = decodeJson(bytes);
  if (typeof o === 'string') return fail(o);
  const h = readHeader(o, addr);
  if ('error' in h) return fail(h.error, h.tapId);
  const { tapId } = h;
  if (!ID_PATTERN.test(addr.deviceId)) return fail('subject deviceId is not a valid id', tapId);
  if (o.deviceId !== addr.deviceId) return fail('deviceId disagrees with the subject', tapId);
  const temperatureC = readTemperature(o);
  if (typeof temperatureC === 'string') return fail(temperatureC, tapId);
  if (!isObject(o.credential)) return fail('credential must be an object', tapId);
  const credential = readCheckpointCredential(o.credential);
  if (typeof credential === 'string') return fail(credential, tapId);
  return {
    ok: true,
    value: {
      v: 1,
      tapId,
      stationId: addr.stationId,
      deviceId: addr.deviceId,
      temperatureC,
      credential,
    },
  };
}

/** Reasons a staff member may give for `open-once`; the gate shows or logs them, nothing else. */
export const OPEN_ONCE_REASONS = [
  'staff-verified',
  'accessibility',
  'emergency',
  'equipment',
] as const;

/**
 * A gate command as a gate must read it: exactly `{"v":1,"cmd":"open-once","passId":…,"reason":…}`.
 * Anything else (a tap reply, a broadcast, any other JSON) is null, and a gate opens on nothing but
 * a well-formed command.
 */
export function parseGateCommand(bytes: Uint8Array | string): GateCommand | null {
  const o = decodeJson(bytes);
  if (typeof o === 'string') return null;
  const keys = Object.keys(o).sort().join(',');
  if (keys !== 'cmd,passId,reason,v') return null;
  if (o.v !== 1 || o.cmd !== 'open-once') return null;
  if (typeof o.passId !== 'string' || !LONG_ID_PATTERN.test(o.passId)) return null;
  if (!(OPEN_ONCE_REASONS as readonly unknown[]).includes(o.reason)) return null;
  return { v: 1, cmd: 'open-once', passId: o.passId, reason: o.reason as string };
}
