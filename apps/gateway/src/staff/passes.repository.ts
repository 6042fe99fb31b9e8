import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource, type Repository } from 'typeorm';
import { StaffPassEntity, pgPool } from '@app/persistence';

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
  private readonly passes: Repository<StaffPassEntity>;
  /** Claims and releases happen on the tap path: one statement each, as SQL. */
  private readonly pool: Pool;

  constructor(ds: DataSource) {
    this.passes = ds.getRepository(StaffPassEntity);
    this.pool = pgPool(ds);
  }

  /** False when the verification already justified another pass. */
  async issue(p: NewPass): Promise<boolean> {
    const r = await this.passes
      .createQueryBuilder()
      .insert()
      .values(p)
      .orIgnore() // the id is new, so the only conflict is on verification_id
      .returning('id')
      .execute();
    return r.raw.length === 1;
  }

  /**
   * Claims one unused pass for any of `boundTo` at the station, a medium pass before a gate
   * pass; SKIP LOCKED lets two gates never claim the same one. Null when none is left.
   */
  async claim(stationId: string, boundTo: string[], at: Date, tap: string): Promise<string | null> {
    // Named, so each connection plans it once: every ride-code entry sent to staff asks, and
    // planning this UPDATE costs PostgreSQL more than running it on an empty result.
    const r = await this.pool.query<{ id: string }>({
      name: 'staff-pass-claim',
      text: `UPDATE staff_passes SET used_at = $3, used_tap = $4
       WHERE id = (SELECT id FROM staff_passes
         WHERE station_id = $1 AND bound_to = ANY($2::text[]) AND used_at IS NULL AND expires_at > $3 AND issued_at <= $3
         ORDER BY bound_kind DESC, expires_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      values: [stationId, boundTo, at, tap],
    });
    return r.rows[0]?.id ?? null;
  }

  /**
   * The keyed hash of the person the pass's verification was about, when it named one (an
   * offline code with its ID card, the elderly/child lookup): the check-in the pass opens carries
   * it, so the authority's trace by ID number finds that entry too.
   */
  async personKeyOf(passId: string): Promise<Buffer | null> {
    const r = await this.pool.query<{ person_key: Buffer | null }>(
      `SELECT v.person_key FROM staff_passes p JOIN staff_verifications v ON v.id = p.verification_id
       WHERE p.id = $1`,
      [passId],
    );
    return r.rows[0]?.person_key ?? null;
  }

  /** The tap it was claimed for did not open: the pass is still the rider's. */
  async release(id: string): Promise<void> {
    await this.pool.query('UPDATE staff_passes SET used_at = NULL, used_tap = NULL WHERE id = $1', [
      id,
    ]);
  }

  async find(id: string): Promise<{ usedAt: number | null; usedTap: string | null } | null> {
    const pass = await this.passes.findOne({
      select: { usedAt: true, usedTap: true },
      where: { id },
    });
    return pass ? { usedAt: pass.usedAt?.getTime() ?? null, usedTap: pass.usedTap } : null;
  }
}
