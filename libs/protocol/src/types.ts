import type { Display, Outcome, Reason } from './reasons';

export const PROTOCOL_VERSION = 1;

/** Credentials a fare gate reads. */
export type GateCredential =
  | { kind: 'ride-code'; code: string }
  | { kind: 'card'; cardNo: string }
  | { kind: 'day-ticket'; ticketNo: string }
  | { kind: 'companion-ticket'; ticketNo: string }
  | { kind: 'single-journey'; ticketNo: string }
  | { kind: 'offline-code'; code: string };

/**
 * A checkpoint reads ride codes; in digital-sentinel mode also ID cards, relatives' codes and
 * (since 1.1) the person's own dynamic health code.
 */
export type CheckpointCredential =
  | { kind: 'ride-code'; code: string }
  | { kind: 'offline-code'; code: string }
  | { kind: 'id-card'; idNumber: string }
  | { kind: 'relative-code'; code: string }
  | { kind: 'health-code'; code: string };

export type CredentialKind = GateCredential['kind'] | CheckpointCredential['kind'];

export interface TapRequest {
  v: 1;
  tapId: string;
  stationId: string;
  gateId: string;
  mode: 'entry' | 'exit';
  temperatureC: number | null;
  credential: GateCredential;
}

export interface ScanRequest {
  v: 1;
  tapId: string;
  stationId: string;
  deviceId: string;
  temperatureC: number | null;
  credential: CheckpointCredential;
}

export interface GateReply {
  v: 1;
  tapId?: string;
  outcome: Outcome;
  reasons: Reason[];
  display: Display;
  checkInId: string | null;
  policyVersion: string | null;
  /** Since 1.1: the hash of the deciding version's canonical form. */
  policyHash: string | null;
  decidedAt: string;
}

export interface GateCommand {
  v: 1;
  cmd: 'open-once';
  passId: string;
  reason: string;
}

export interface GateCommandAck {
  v: 1;
  ok: boolean;
}
