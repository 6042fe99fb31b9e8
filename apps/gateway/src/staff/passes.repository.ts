import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../common/tokens';

export interface NewPass {
  id: string;
  stationId: string;
  /** `card:<no>`, `ticket:<no>`, `gate:<gateId>` or `rider:<riderId>`. */
  boundTo: string;
  boundKind: 'medium' | 'gate' | 'rider';
  issuedBy: string;
  issuedAt: Date;
  expiresAt: Date;
  /** The passing verification that justified it; each justifies at most one pass. */
  verificationId: string;
}

/** Staff one-time passes: issued at the desk, claimed by exactly one opening tap. */
@Injectable()
export class PassesRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** False when the verification already justified another pass. */
  async issue(p: NewPass): Promise<boolean> {
    const r = await this.pool.query(
      `INSERT INTO staff_passes
         (id, station_id, bound_kind, bound_to, expires_at, issued_by, issued_at, verification_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (verification_id) DO NOTHING`,
      [
        p.id,
        p.stationId,
        p.boundKind,
        p.boundTo,
        p.expiresAt,
        p.issuedBy,
        p.issuedAt,
        p.verificationId,
      ],
    );
    return r.rowCount === 1;
  }

  /**
   * Claims one unused pass for any of `boundTo` at the station, a medium pass before a gate
   * pass; SKIP LOCKED lets two gates never claim the same one. Null when none is left.
   */
  async claim(stationId: string, boundTo: string[], at: Date, tap: string): Promise<string | null> {
    const r = await this.pool.query<{ id: string }>(
      `UPDATE staff_passes SET used_at = $3, used_tap = $4
       WHERE id = (SELECT id FROM staff_passes
         WHERE station_id = $1 AND bound_to = ANY($2::text[]) AND used_at IS NULL AND expires_at > $3 AND issued_at <= $3
         ORDER BY bound_kind DESC, expires_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [stationId, boundTo, at, tap],
    );
    return r.rows[0]?.id ?? null;
  }

  /** The tap it was claimed for did not open: the pass is still the rider's. */
  async release(id: string): Promise<void> {
    await this.pool.query('UPDATE staff_passes SET used_at = NULL, used_tap = NULL WHERE id = $1', [
      id,
    ]);
  }

  async find(id: string): Promise<{ usedAt: number | null; usedTap: string | null } | null> {
    const r = await this.pool.query<{ used_at: Date | null; used_tap: string | null }>(
      'SELECT used_at, used_tap FROM staff_passes WHERE id = $1',
      [id],
    );
    const row = r.rows[0];
    return row ? { usedAt: row.used_at?.getTime() ?? null, usedTap: row.used_tap } : null;
  }
}
