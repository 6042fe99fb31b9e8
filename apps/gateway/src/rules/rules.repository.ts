import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import type { RuleSettings, RuleVersion, Scope, StationRef } from '@app/decision';
import { PG_POOL } from '../common/tokens';

export interface StoredVersion {
  version: RuleVersion;
  hash: string;
}

/** A version as the database holds it, cancelled ones included. */
export interface VersionRecord extends StoredVersion {
  createdBy: string;
  createdAt: number;
  cancelledAt: number | null;
}

export interface NewVersion extends StoredVersion {
  createdBy: string;
}

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  actorRole: string;
  action: 'schedule' | 'cancel';
  versionId: string;
  before: unknown;
  after: unknown;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

interface VersionRow {
  id: string;
  effective_from: Date;
  scope: Scope;
  settings: RuleSettings;
  reason: string;
  canonical_hash: string;
  created_by: string;
  created_at: Date;
  cancelled_at: Date | null;
}

const VERSION_COLUMNS =
  'id, effective_from, scope, settings, reason, canonical_hash, created_by, created_at, cancelled_at';

const toRecord = (row: VersionRow): VersionRecord => ({
  version: {
    ...row.settings,
    id: row.id,
    effectiveFrom: row.effective_from.getTime(),
    scope: row.scope,
    reason: row.reason,
  },
  hash: row.canonical_hash,
  createdBy: row.created_by,
  createdAt: row.created_at.getTime(),
  cancelledAt: row.cancelled_at?.getTime() ?? null,
});

type Queryable = Pick<Pool | PoolClient, 'query'>;

async function activeVersions(db: Queryable): Promise<VersionRecord[]> {
  const r = await db.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM rule_versions WHERE cancelled_at IS NULL ORDER BY effective_from, id`,
  );
  return r.rows.map(toRecord);
}

async function stations(db: Queryable): Promise<StationRef[]> {
  const r = await db.query<{ id: string; lines: string[] }>('SELECT id, lines FROM stations');
  return r.rows.map((row) => ({ stationId: row.id, lines: row.lines }));
}

/** Schedules and cancels serialize on this lock, so checks see every committed version. */
export const TIMELINE_LOCK = 727275;

/** The statements a schedule or cancel runs inside its transaction. */
export class RulesTx {
  constructor(private readonly client: PoolClient) {}

  activeVersions(): Promise<VersionRecord[]> {
    return activeVersions(this.client);
  }

  stations(): Promise<StationRef[]> {
    return stations(this.client);
  }

  async lines(): Promise<string[]> {
    const r = await this.client.query<{ id: string }>('SELECT id FROM lines');
    return r.rows.map((row) => row.id);
  }

  async versionForUpdate(id: string): Promise<VersionRecord | null> {
    const r = await this.client.query<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM rule_versions WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return r.rows[0] ? toRecord(r.rows[0]) : null;
  }

  async insertVersion(v: NewVersion): Promise<VersionRecord> {
    const { id, effectiveFrom, scope, reason, ...rest } = v.version;
    const settings: RuleSettings = {
      testWindowHours: rest.testWindowHours,
      allowedColours: rest.allowedColours,
      temperatureThresholdC: rest.temperatureThresholdC,
      temperatureRequired: rest.temperatureRequired,
      oneCodeEnabled: rest.oneCodeEnabled,
      dayTicketClearanceMinutes: rest.dayTicketClearanceMinutes,
      healthServiceFallback: rest.healthServiceFallback,
    };
    const r = await this.client.query<VersionRow>(
      `INSERT INTO rule_versions (id, effective_from, scope, settings, reason, canonical_hash, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${VERSION_COLUMNS}`,
      [
        id,
        new Date(effectiveFrom),
        JSON.stringify(scope),
        JSON.stringify(settings),
        reason,
        v.hash,
        v.createdBy,
      ],
    );
    return toRecord(r.rows[0]);
  }

  async cancel(id: string, at: number): Promise<VersionRecord> {
    const r = await this.client.query<VersionRow>(
      `UPDATE rule_versions SET cancelled_at = $2 WHERE id = $1 RETURNING ${VERSION_COLUMNS}`,
      [id, new Date(at)],
    );
    return toRecord(r.rows[0]);
  }

  async audit(e: NewAuditEntry): Promise<void> {
    await this.client.query(
      `INSERT INTO rule_audit (at, actor, actor_role, action, version_id, before, after)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        new Date(e.at),
        e.actor,
        e.actorRole,
        e.action,
        e.versionId,
        e.before === null ? null : JSON.stringify(e.before),
        e.after === null ? null : JSON.stringify(e.after),
      ],
    );
  }
}

@Injectable()
export class RulesRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async activeVersions(): Promise<StoredVersion[]> {
    return activeVersions(this.pool);
  }

  stations(): Promise<StationRef[]> {
    return stations(this.pool);
  }

  async version(id: string): Promise<VersionRecord | null> {
    const r = await this.pool.query<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM rule_versions WHERE id = $1`,
      [id],
    );
    return r.rows[0] ? toRecord(r.rows[0]) : null;
  }

  async auditTrail(versionId: string | null, limit: number): Promise<AuditEntry[]> {
    const r = await this.pool.query<{
      id: string;
      at: Date;
      actor: string;
      actor_role: string;
      action: 'schedule' | 'cancel';
      version_id: string;
      before: unknown;
      after: unknown;
    }>(
      `SELECT id, at, actor, actor_role, action, version_id, before, after FROM rule_audit
        WHERE $1::text IS NULL OR version_id = $1 ORDER BY id DESC LIMIT $2`,
      [versionId, limit],
    );
    return r.rows.map((row) => ({
      id: Number(row.id),
      at: row.at.getTime(),
      actor: row.actor,
      actorRole: row.actor_role,
      action: row.action,
      versionId: row.version_id,
      before: row.before,
      after: row.after,
    }));
  }

  /** Runs `fn` in one transaction holding the timeline lock; a throw rolls it all back. */
  async inTimelineLock<T>(fn: (tx: RulesTx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [TIMELINE_LOCK]);
      const result = await fn(new RulesTx(client));
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }
}
