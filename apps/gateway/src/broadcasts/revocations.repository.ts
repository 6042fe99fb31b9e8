import { Injectable } from '@nestjs/common';
import { DataSource, LessThan, type Repository } from 'typeorm';
import { ConsentRevocationEntity } from '@app/persistence';

/** What a poll of the revocation log found, and where the next one starts. */
export interface RevocationPoll {
  /** Consents revoked by transactions at or after the previous watermark. */
  consentIds: string[];
  /**
   * The oldest transaction still running when this poll looked (pg_snapshot_xmin): every
   * transaction before it has ended, so its rows were all seen. The next poll starts here.
   */
  watermark: string;
}

/**
 * The consent revocation log (filled by a trigger on health_links, so no writer can forget
 * it). Polled by every instance: a revocation whose broadcast was missed is found here.
 */
@Injectable()
export class RevocationsRepository {
  private readonly log: Repository<ConsentRevocationEntity>;

  constructor(private readonly ds: DataSource) {
    this.log = ds.getRepository(ConsentRevocationEntity);
  }

  /**
   * Revocations from transactions numbered `from` or later (the whole log when null). Rows
   * of transactions still running are invisible now and found by a later poll, which starts
   * no later than the oldest of them.
   */
  async since(from: string | null): Promise<RevocationPoll> {
    // One statement, so the watermark and the rows come from one snapshot. SQL: the snapshot
    // functions have no query-builder form.
    const [row] = await this.ds.query<{ watermark: string; consent_ids: string[] }[]>(
      `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS watermark,
              coalesce((SELECT array_agg(DISTINCT consent_id) FROM consent_revocations
                        WHERE $1::bigint IS NULL OR txid >= $1::bigint), '{}') AS consent_ids`,
      [from],
    );
    return { consentIds: row.consent_ids, watermark: row.watermark };
  }

  /** The log keeps what an instance that fell this far behind could still need. */
  async purgeBefore(at: Date): Promise<number> {
    const r = await this.log.delete({ revokedAt: LessThan(at) });
    return r.affected ?? 0;
  }
}
