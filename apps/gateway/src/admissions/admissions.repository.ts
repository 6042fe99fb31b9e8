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
}

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
  | { kind: 'duplicate'; first: CommittedAdmission };

interface ResultRow {
  ord: number;
  result: string;
  decided_at: Date;
  mode: 'entry' | 'exit';
  check_in_id: string | null;
  policy_version: string;
}

/** A duplicate carries what its first attempt committed; the gate edge makes the reply. */
function toResult(row: ResultRow | undefined): AdmissionResult {
  if (!row || row.ord === undefined) throw new Error('admit_taps returned no row for a tap');
  if (!row.result.startsWith('duplicate:')) return { kind: row.result as AdmissionKind };
  return {
    kind: 'duplicate',
    first: {
      kind: row.result.slice(10) as AdmissionKind,
      mode: row.mode,
      decidedAt: row.decided_at.getTime(),
      checkInId: row.check_in_id,
      policyVersion: row.policy_version,
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
   * One statement, one round trip: the whole batch is decided by `admit_taps` (migration 040).
   * Its pool's statement_timeout is the commit bound, so a commit that cannot finish in time
   * is cancelled by the server and leaves no row.
   */
  async commit(items: Admission[], antiPassbackMs: number): Promise<AdmissionResult[]> {
    const rows = items.map((i, ord) => ({
      ord,
      station_id: i.stationId,
      gate_id: i.gateId,
      tap_id: i.tapId,
      at: new Date(i.decidedAt).toISOString(),
      mode: i.mode,
      traveller: i.traveller,
      rider_id: i.riderId,
      medium: i.medium,
      jti: i.jti,
      jti_expires_at: i.jtiExpiresAt === null ? null : new Date(i.jtiExpiresAt).toISOString(),
      check_in_id: i.checkInId,
      policy_version: i.policyVersion,
      policy_hash: i.policyHash,
      person_key: i.personKey ? `\\x${i.personKey.toString('hex')}` : null,
      venue_only: i.venueOnly === true,
    }));
    const r = await this.commits.query<ResultRow>('SELECT * FROM admit_taps($1::jsonb, $2)', [
      JSON.stringify(rows),
      antiPassbackMs,
    ]);
    return items.map((_item, ord) => toResult(r.rows[ord]));
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
