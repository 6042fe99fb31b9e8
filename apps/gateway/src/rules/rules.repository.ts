import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { RuleSettings, RuleVersion, Scope, StationRef } from '@app/decision';
import { PG_POOL } from '../common/tokens';

export interface StoredVersion {
  version: RuleVersion;
  hash: string;
}

@Injectable()
export class RulesRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async activeVersions(): Promise<StoredVersion[]> {
    const r = await this.pool.query<{
      id: string;
      effective_from: Date;
      scope: Scope;
      settings: RuleSettings;
      reason: string;
      canonical_hash: string;
    }>(
      `SELECT id, effective_from, scope, settings, reason, canonical_hash
         FROM rule_versions WHERE cancelled_at IS NULL ORDER BY effective_from, id`,
    );
    return r.rows.map((row) => ({
      version: {
        ...row.settings,
        id: row.id,
        effectiveFrom: row.effective_from.getTime(),
        scope: row.scope,
        reason: row.reason,
      },
      hash: row.canonical_hash,
    }));
  }

  async stations(): Promise<StationRef[]> {
    const r = await this.pool.query<{ id: string; lines: string[] }>(
      'SELECT id, lines FROM stations',
    );
    return r.rows.map((row) => ({ stationId: row.id, lines: row.lines }));
  }
}
