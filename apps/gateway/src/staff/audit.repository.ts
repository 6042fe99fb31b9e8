import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { StaffAuditEntity } from '@app/persistence';

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
  private readonly audit: Repository<StaffAuditEntity>;

  constructor(ds: DataSource) {
    this.audit = ds.getRepository(StaffAuditEntity);
  }

  async append(e: AuditEntry): Promise<void> {
    await this.audit.insert(e);
  }

  async recent(stationId: string, limit: number): Promise<AuditRow[]> {
    const rows = await this.audit.find({
      where: { stationId },
      order: { id: 'DESC' },
      take: limit,
    });
    return rows.map((row) => ({
      id: row.id,
      at: row.at.getTime(),
      staffId: row.staffId,
      stationId: row.stationId,
      act: row.act,
      evidence: row.evidence,
      outcome: row.outcome,
      ref: row.ref,
      verificationId: row.verificationId,
    }));
  }
}
