import {
  ID_PATTERN,
  LONG_ID_PATTERN,
  REASON_OUTCOME,
  TAP_ID_PATTERN,
  displayFor,
  parseInstant,
  type Display,
  type Reason,
} from '@app/protocol';

/** What a staff console sees of one tap: never a health value, only reasons, gate and time. */
export interface FeedEvent {
  stationId: string;
  gateId: string;
  tapId: string;
  mode: 'entry' | 'exit';
  credentialKind: string;
  outcome: 'see-staff' | 'deny';
  reasons: Reason[];
  display: Display;
  decidedAt: string;
}

/** The NATS form: display is derived from the reasons on arrival, so it is not sent. */
export interface WireEvent extends Omit<FeedEvent, 'display'> {
  /** The publishing instance, so it skips its own. */
  origin: string;
}

const GATE_CREDENTIALS = new Set([
  'ride-code',
  'card',
  'day-ticket',
  'companion-ticket',
  'single-journey',
  'offline-code',
]);
/** What formatShanghai writes, and nothing else. */
const DECIDED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$/;
const MAX_REASONS = Object.keys(REASON_OUTCOME).length;

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (o: Record<string, unknown>, k: string): string | null =>
  typeof o[k] === 'string' ? o[k] : null;

/**
 * Another instance's tap as it arrived on `<prefix>.<stationId>`, or null: the relay passes on
 * only events a gateway could have published. Every field is checked as a gate message would
 * be (ids by the protocol's patterns, the station matching the subject it came on, known
 * credential kinds and reasons, reasons that force the outcome given, a time as the gateway
 * writes it), and nothing but those fields is relayed.
 */
export function readWireEvent(subjectStation: string, body: unknown): WireEvent | null {
  if (!isObject(body)) return null;
  const stationId = str(body, 'stationId');
  const gateId = str(body, 'gateId');
  const tapId = str(body, 'tapId');
  const origin = str(body, 'origin');
  const credentialKind = str(body, 'credentialKind');
  const decidedAt = str(body, 'decidedAt');
  const { mode, outcome, reasons } = body;
  if (stationId === null || !ID_PATTERN.test(stationId) || stationId !== subjectStation)
    return null;
  if (gateId === null || !ID_PATTERN.test(gateId)) return null;
  if (tapId === null || !TAP_ID_PATTERN.test(tapId)) return null;
  if (origin === null || !LONG_ID_PATTERN.test(origin)) return null;
  if (mode !== 'entry' && mode !== 'exit') return null;
  if (credentialKind === null || !GATE_CREDENTIALS.has(credentialKind)) return null;
  if (outcome !== 'see-staff' && outcome !== 'deny') return null;
  if (!Array.isArray(reasons) || reasons.length === 0 || reasons.length > MAX_REASONS) return null;
  if (!reasons.every((r): r is Reason => typeof r === 'string' && Object.hasOwn(REASON_OUTCOME, r)))
    return null;
  if (new Set(reasons).size !== reasons.length) return null;
  // The reasons force the outcome: a deny has a deny reason, a see-staff has none.
  if (reasons.some((r) => REASON_OUTCOME[r] === 'deny') !== (outcome === 'deny')) return null;
  if (decidedAt === null || !DECIDED_AT.test(decidedAt) || parseInstant(decidedAt) === null)
    return null;
  return { stationId, gateId, tapId, origin, mode, credentialKind, outcome, reasons, decidedAt };
}

/** The console's form of a relayed event: the display texts are the gateway's own. */
export function toFeedEvent(w: WireEvent): FeedEvent {
  const { origin: _origin, ...rest } = w;
  return { ...rest, display: displayFor(w.reasons) };
}
