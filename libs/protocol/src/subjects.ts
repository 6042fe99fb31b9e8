/** Gate protocol v1 subjects. Station and gate tokens in a subject are authoritative. */
export const QUEUE_GROUP = 'fare-gateway';
/** The gateway's nats micro service name (`nats micro info fare-gateway`). */
export const GATEWAY_SERVICE = 'fare-gateway';
export const TAP_SUBJECTS = 'metro.gate.*.*.tap';
export const SCAN_SUBJECTS = 'metro.checkpoint.*.*.scan';

/**
 * Probes: a tap body sent here is answered as that tap would be (same rules, same checks of the
 * credential and health), but nothing is recorded, claimed or opened. Not in the published spec
 * (which lets a later version add subjects); for operators and monitoring, not for gates.
 */
export const PROBE_SUBJECTS = 'metro.probe.*.*.tap';

export const probeSubject = (stationId: string, gateId: string): string =>
  `metro.probe.${stationId}.${gateId}.tap`;

export const tapSubject = (stationId: string, gateId: string): string =>
  `metro.gate.${stationId}.${gateId}.tap`;
export const scanSubject = (stationId: string, deviceId: string): string =>
  `metro.checkpoint.${stationId}.${deviceId}.scan`;
export const gateCommandSubject = (stationId: string, gateId: string): string =>
  `metro.gate.${stationId}.${gateId}.cmd`;

/**
 * The gateway's own inbox (replies to its gate commands). `gateway` is never a station id in a
 * per-device NATS config, so no device inbox (`_INBOX.<stationId>.<deviceId>`) overlaps it.
 */
export const GATEWAY_INBOX_PREFIX = '_INBOX.gateway';

/** Internal broadcast subjects: every gateway instance listens, no queue group. */
export const EVENTS = {
  riderRevoked: 'gateway.events.rider-revoked',
  rulesChanged: 'gateway.events.rules-changed',
  /** Followed by `.<stationId>`: the see-staff and deny replies staff consoles show. */
  stationFeed: 'gateway.events.station-feed',
  /** Published by the health authority. Carries a consent id, never a health value. */
  authorityStatusChanged: 'authority.status-changed',
} as const;

export type SubjectAddress =
  | { kind: 'tap'; stationId: string; gateId: string }
  | { kind: 'scan'; stationId: string; deviceId: string };

/** A probe subject read as the tap subject it stands for; null when it is not one. */
export function parseProbeSubject(subject: string): (SubjectAddress & { kind: 'tap' }) | null {
  const t = subject.split('.');
  if (t.length !== 5 || t[0] !== 'metro' || t[1] !== 'probe' || t[4] !== 'tap') return null;
  return { kind: 'tap', stationId: t[2], gateId: t[3] };
}

/** Parses a gate or checkpoint subject; null when it is not one. */
export function parseSubject(subject: string): SubjectAddress | null {
  const t = subject.split('.');
  if (t.length !== 5) return null;
  if (t[0] === 'metro' && t[1] === 'gate' && t[4] === 'tap') {
    return { kind: 'tap', stationId: t[2], gateId: t[3] };
  }
  if (t[0] === 'metro' && t[1] === 'checkpoint' && t[4] === 'scan') {
    return { kind: 'scan', stationId: t[2], deviceId: t[3] };
  }
  return null;
}
