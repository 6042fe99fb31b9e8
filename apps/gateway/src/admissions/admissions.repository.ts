import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { ADMISSIONS_POOL, PG_POOL } from '../common/tokens';

/** A tap the engine would open; PostgreSQL has the last word. */
export interface Admission {
  stationId: string;
  gateId: string;
  tapId: string;
  mode: 'entry' | 'exit';
  /** Anti-passback key: `rider:<id>`, `card:<no>`, `ticket:<no>`. */
  traveller: string;
  riderId: string | null;
  medium: string | null;
  /** Set for ride-code entries: the code opens at most one entry. */
  jti: string | null;
  jtiExpiresAt: number | null;
  checkInId: string;
  decidedAt: number;
  policyVersion: string;
  policyHash: string;
  /** Keyed HMAC of the ID number, for check-ins of people without a rider account. */
  personKey?: Buffer | null;
  /** A checkpoint scan or desk registration: the check-in only, no journey, no ride-code use. */
  venueOnly?: boolean;
  /** Whose tapId space this is: a checkpoint's device id may equal a gate id. Default gate. */
  device?: 'gate' | 'checkpoint';
  /** Hash of the request (credential, mode, reading): a reused tapId with another is refused. */
  fingerprint?: string | null;
  /**
   * An entry a staff pass opens: the names a pass may be bound to (`rider:<id>`, or the medium
   * then `gate:<gateId>`). One unused pass at the station is spent in the same transaction, or
   * the result is 'no-pass' and nothing is recorded.
   */
  passFor?: readonly [string] | readonly [string, string];
}

/** The receipt's device key: gates by their id, checkpoint devices apart from them. */
export const receiptDevice = (a: Pick<Admission, 'gateId' | 'device'>): string =>
  a.device === 'checkpoint' ? `checkpoint:${a.gateId}` : a.gateId;

/** What PostgreSQL decided for one admission. */
export type AdmissionKind = 'admitted' | 'replayed' | 'already-inside';

/** What the first attempt of a tap committed: enough to give a retry the reply it got then. */
export interface CommittedAdmission {
  kind: AdmissionKind;
  mode: 'entry' | 'exit';
  decidedAt: number;
  checkInId: string | null;
  policyVersion: string;
}

export type AdmissionResult =
  | { kind: AdmissionKind }
  /** The same tap was committed before: these are the facts it committed then. */
  | { kind: 'duplicate'; first: CommittedAdmission }
  /** The tapId was used before for a different request: refused, never another tap's reply. */
  | { kind: 'mismatch' }
  /** The staff pass it needed was spent by another tap first: nothing was recorded. */
  | { kind: 'no-pass' };

/** The batch's own rows carry only ord and result; a retry's carry what its first committed. */
interface ResultRow {
  ord: number;
  result: string;
  decided_at: Date | null;
  mode: 'entry' | 'exit' | null;
  check_in_id: string | null;
  policy_version: string | null;
}

/** A duplicate carries what its first attempt committed; the gate edge makes the reply. */
function toResult(item: Admission, row: ResultRow | undefined): AdmissionResult {
  if (!row) throw new Error('admit_taps returned no row for a tap');
  if (row.result === 'mismatch' || row.result === 'no-pass') return { kind: row.result };
  if (!row.result.startsWith('duplicate:')) return { kind: row.result as AdmissionKind };
  return {
    kind: 'duplicate',
    first: {
      kind: row.result.slice(10) as AdmissionKind,
      mode: row.mode ?? item.mode,
      decidedAt: row.decided_at?.getTime() ?? item.decidedAt,
      checkInId: row.check_in_id,
      policyVersion: row.policy_version ?? item.policyVersion,
    },
  };
}

/**
 * Commits a batch of taps atomically: receipts (idempotency), ride-code use (replay), journeys
 * (anti-passback) and check-ins. Callers guarantee no two items share a tap, a jti or a traveller.
 */
@Injectable()
export class AdmissionsRepository {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(ADMISSIONS_POOL) private readonly commits: Pool,
  ) {}

  /**
   * One statement, one round trip: the whole batch is decided by `admit_taps`
   * (admissions/admit-taps.sql). `remainingMs[i]` is how long item i's tap has left: its receipt
   * cannot commit later than that after the statement reaches the server (the fence).
   */
  async commit(
    items: Admission[],
    antiPassbackMs: number,
    remainingMs: number[] = items.map(() => 60_000),
  ): Promise<AdmissionResult[]> {
    const col = <T>(f: (i: Admission) => T): T[] => items.map(f);
    const anyPass = items.some((i) => i.passFor !== undefined);
    const client = await this.commits.connect();
    let failed: Error | undefined;
    try {
      const r = await client.query<ResultRow>(
        'SELECT * FROM admit_taps($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)',
        [
          col((i) => i.stationId),
          col(receiptDevice),
          col((i) => i.gateId),
          col((i) => i.tapId),
          col((i) => i.decidedAt),
          col((i) => i.mode),
          col((i) => i.traveller),
          col((i) => i.riderId),
          col((i) => i.medium),
          col((i) => i.jti),
          col((i) => i.jtiExpiresAt),
          col((i) => i.checkInId),
          col((i) => i.policyVersion),
          col((i) => i.policyHash),
          col((i) => i.personKey ?? null),
          col((i) => i.venueOnly === true),
          col((i) => i.fingerprint ?? null),
          remainingMs,
          // Empty unless some tap needs a pass: the function skips the claims then.
          anyPass ? col((i) => i.passFor?.[0] ?? null) : [],
          anyPass ? col((i) => i.passFor?.[1] ?? null) : [],
          antiPassbackMs,
        ],
      );
      const byOrd = new Array<ResultRow | undefined>(items.length);
      for (const row of r.rows) byOrd[row.ord] = row;
      return items.map((item, ord) => toResult(item, byOrd[ord]));
    } catch (e) {
      failed = e as Error;
      // Which server process ran it: if the client gave up, only ending it settles its fate.
      const backendPid = (client as unknown as { processID?: number }).processID;
      throw Object.assign(failed, { backendPid });
    } finally {
      client.release(failed);
    }
  }

  /**
   * Ends a backend the client gave up on (waiting at most 5 s for it to go): from then on its
   * transaction has committed or never will, and what it committed can be released.
   */
  async endBackend(pid: number): Promise<void> {
    await this.commits.query('SELECT pg_terminate_backend($1, 5000)', [pid]);
  }

  /**
   * Releases what admitted taps committed after they had been answered "not open": the check-in
   * stays, void with `reason`; the ride code, the journey and the receipt are given back.
   */
  async voidAdmitted(items: Admission[], reason: string): Promise<number> {
    const col = <T>(f: (i: Admission) => T): T[] => items.map(f);
    const r = await this.commits.query<{ voided: number }>(
      'SELECT void_admissions($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) AS voided',
      [
        col((i) => i.stationId),
        col(receiptDevice),
        col((i) => i.tapId),
        col((i) => i.decidedAt),
        col((i) => i.mode),
        col((i) => i.traveller),
        col((i) => i.jti),
        col((i) => i.checkInId),
        col((i) => i.venueOnly === true),
        reason,
      ],
    );
    return r.rows[0].voided;
  }

  /** Drops what only mattered for a while: old receipts and spent ride-code ids. */
  async purgeExpired(
    receiptsBefore: Date,
    now: Date,
  ): Promise<{ receipts: number; codes: number }> {
    const r = await this.pool.query('DELETE FROM tap_receipts WHERE created_at < $1', [
      receiptsBefore,
    ]);
    const c = await this.pool.query('DELETE FROM ride_code_uses WHERE expires_at < $1', [now]);
    return { receipts: r.rowCount ?? 0, codes: c.rowCount ?? 0 };
  }
}
