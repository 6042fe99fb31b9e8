import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../common/tokens';
import type { ShadowKey } from './shadow';

export type ShadowCount = ShadowKey & { taps: number };

/** Aggregate shadow counts, summed across instances by upsert. */
@Injectable()
export class ShadowCountsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

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
    const r = await this.pool.query<{
      station_id: string;
      from_outcome: ShadowKey['fromOutcome'];
      from_reasons: string;
      to_outcome: ShadowKey['toOutcome'];
      to_reasons: string;
      taps: string;
    }>(
      `SELECT station_id, from_outcome, from_reasons, to_outcome, to_reasons, taps
         FROM rule_shadow_counts WHERE version_id = $1`,
      [versionId],
    );
    return r.rows.map((row) => ({
      versionId,
      stationId: row.station_id,
      fromOutcome: row.from_outcome,
      fromReasons: row.from_reasons,
      toOutcome: row.to_outcome,
      toReasons: row.to_reasons,
      taps: Number(row.taps),
    }));
  }
}
