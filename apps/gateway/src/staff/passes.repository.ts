import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { StaffPassEntity } from '@app/persistence';

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

/**
 * Staff one-time passes: issued at the desk, spent by exactly one opening tap inside that tap's
 * admission (admissions/admit-taps.sql).
 */
@Injectable()
export class PassesRepository {
  private readonly passes: Repository<StaffPassEntity>;

  constructor(ds: DataSource) {
    this.passes = ds.getRepository(StaffPassEntity);
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

  async find(id: string): Promise<{ usedAt: number | null; usedTap: string | null } | null> {
    const pass = await this.passes.findOne({
      select: { usedAt: true, usedTap: true },
      where: { id },
    });
    return pass ? { usedAt: pass.usedAt?.getTime() ?? null, usedTap: pass.usedTap } : null;
  }
}
