import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../common/tokens';

/** One staff act. Never a health value, never a clear ID number. */
export interface AuditEntry {
  at: Date;
  staffId: string;
  stationId: string;
  act: string;
  evidence: string | null;
  outcome: string;
  /** A pass id, gate id or check-in id the act produced or touched. */
  ref: string | null;
  /** The verification the act recorded or relied on. */
  verificationId: string | null;
}

export interface AuditRow extends Omit<AuditEntry, 'at'> {
  id: string;
  at: number;
}

/** The append-only staff audit; the database refuses UPDATE, DELETE and TRUNCATE. */
@Injectable()
export class AuditRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async append(e: AuditEntry): Promise<void> {
    await this.pool.query(
      `INSERT INTO staff_audit (at, staff_id, station_id, act, evidence, outcome, ref, verification_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [e.at, e.staffId, e.stationId, e.act, e.evidence, e.outcome, e.ref, e.verificationId],
    );
  }

  async recent(stationId: string, limit: number): Promise<AuditRow[]> {
    const r = await this.pool.query<{
      id: string;
      at: Date;
      staff_id: string;
      station_id: string;
      act: string;
      evidence: string | null;
      outcome: string;
      ref: string | null;
      verification_id: string | null;
    }>(
      `SELECT id, at, staff_id, station_id, act, evidence, outcome, ref, verification_id FROM staff_audit
       WHERE station_id = $1 ORDER BY id DESC LIMIT $2`,
      [stationId, limit],
    );
    return r.rows.map((row) => ({
      id: row.id,
      at: row.at.getTime(),
      staffId: row.staff_id,
      stationId: row.station_id,
      act: row.act,
      evidence: row.evidence,
      outcome: row.outcome,
      ref: row.ref,
      verificationId: row.verification_id,
    }));
  }
}
