import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource, type Repository } from 'typeorm';
import { RuleShadowCountEntity, pgPool } from '@app/persistence';
import type { ShadowKey } from './shadow';

export type ShadowCount = ShadowKey & { taps: number };

/** Aggregate shadow counts, summed across instances by upsert. */
@Injectable()
export class ShadowCountsRepository {
  private readonly counts: Repository<RuleShadowCountEntity>;
  /** Many keys summed in one set-based upsert. */
  private readonly pool: Pool;

  constructor(ds: DataSource) {
    this.counts = ds.getRepository(RuleShadowCountEntity);
    this.pool = pgPool(ds);
  }

  async add(counts: readonly ShadowCount[]): Promise<void> {
    if (counts.length === 0) return;
    await this.pool.query(
      `INSERT INTO rule_shadow_counts
         (version_id, station_id, from_outcome, from_reasons, to_outcome, to_reasons, taps)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
       ON CONFLICT (version_id, station_id, from_outcome, from_reasons, to_outcome, to_reasons)
       DO UPDATE SET taps = rule_shadow_counts.taps + EXCLUDED.taps, updated_at = now()`,
      [
        counts.map((c) => c.versionId),
        counts.map((c) => c.stationId),
        counts.map((c) => c.fromOutcome),
        counts.map((c) => c.fromReasons),
        counts.map((c) => c.toOutcome),
        counts.map((c) => c.toReasons),
        counts.map((c) => c.taps),
      ],
    );
  }

  async forVersion(versionId: string): Promise<ShadowCount[]> {
    const rows = await this.counts.findBy({ versionId });
    return rows.map((row) => ({
      versionId,
      stationId: row.stationId,
      fromOutcome: row.fromOutcome as ShadowKey['fromOutcome'],
      fromReasons: row.fromReasons,
      toOutcome: row.toOutcome as ShadowKey['toOutcome'],
      toReasons: row.toReasons,
      taps: Number(row.taps),
    }));
  }
}
