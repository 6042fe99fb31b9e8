import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { DataSource, type Repository } from 'typeorm';
import { CheckinExportAuditEntity, CheckinTraceAuditEntity } from '@app/persistence';
import { AppError } from '../common/errors';
import { EXPORT_POOL } from '../common/tokens';

export interface ExportWindow {
  stationIds: string[];
  from: Date;
  to: Date;
}

/** Keyset position: the last row's instant (µs since epoch, exact) and id. */
export interface ExportKey {
  micros: string;
  id: string;
}

export interface CheckInRow {
  id: string;
  checkedInAt: Date;
  micros: string;
  stationId: string;
  gateId: string;
  /** The health authority's own consent id, for a rider linked to it; never the rider's id. */
  consentId: string | null;
  medium: string | null;
  policyVersion: string;
  policyHash: string;
}

/** One check-in of a traced person; `path` says how they were checked in. */
export interface TracedRow {
  id: string;
  checkedInAt: Date;
  stationId: string;
  gateId: string;
  riderId: string | null;
  medium: string | null;
  policyVersion: string;
  policyHash: string;
}

export interface TraceQuery {
  /** The keyed hashes of the person's ID number (current key, and the previous one in rotation). */
  personKeys: Buffer[];
  from: Date;
  to: Date;
  limit: number;
}

export interface TraceAudit {
  actor: string;
  actorRole: string;
  personKey: Buffer;
  from: Date;
  to: Date;
  rowCount: number;
}

export interface ExportAudit {
  actor: string;
  actorRole: string;
  window: ExportWindow;
  format: string;
  cursor: string | null;
  rowCount: number;
}

/** A read-only snapshot: the counted page and the streamed rows see the same data. */
export interface ExportSnapshot {
  /** Rows in this page (at most `limit`), and the key of its last row when more follow. */
  measure(
    after: ExportKey | null,
    limit: number,
  ): Promise<{ count: number; next: ExportKey | null }>;
  rows(after: ExportKey | null, n: number): Promise<CheckInRow[]>;
  /** Ends the read-only transaction and returns the connection. */
  close(): Promise<void>;
  /** Drops the connection at once, cancelling whatever it runs (the deadline, a gone reader). */
  abort(): void;
}

const TRACED =
  'id, checked_in_at, station_id, gate_id, rider_id, medium, policy_version, policy_hash';

/** PostgreSQL's "query canceled": here, the statement ran into the export's deadline. */
const QUERY_CANCELED = '57014';

// A voided row is not a check-in: its tap was told not to open (see admit-taps.sql).
const WHERE = `c.station_id = ANY($1::text[]) AND c.checked_in_at >= $2 AND c.checked_in_at < $3
  AND c.voided_at IS NULL AND ($4::bigint IS NULL OR (c.checked_in_at, c.id) >
       (timestamptz 'epoch' + $4::bigint * interval '1 microsecond', $5::uuid))`;
const MICROS = `(extract(epoch FROM c.checked_in_at) * 1000000)::bigint::text`;

/**
 * Check-in reads for the trace export, and its audit trail. The export reads a keyset-paged
 * snapshot as SQL (exact microsecond keys, one REPEATABLE READ view) on a connection of the
 * export pool, never one taps and the API use.
 */
@Injectable()
export class CheckinsRepository {
  private readonly exports: Repository<CheckinExportAuditEntity>;
  private readonly traces: Repository<CheckinTraceAuditEntity>;

  constructor(
    ds: DataSource,
    @Inject(EXPORT_POOL) private readonly exportPool: Pool,
  ) {
    this.exports = ds.getRepository(CheckinExportAuditEntity);
    this.traces = ds.getRepository(CheckinTraceAuditEntity);
  }

  /** A connection of the export pool; a full pool is an answer the client can retry. */
  private async exportConnection(): Promise<PoolClient> {
    try {
      return await this.exportPool.connect();
    } catch {
      throw new AppError(
        'EXPORT_BUSY',
        'every export connection is streaming another export: retry in a moment',
      );
    }
  }

  /**
   * A snapshot whose every statement, and every wait between them for a slow reader, ends
   * by `deadlineAt` (ms since epoch): PostgreSQL cancels them itself.
   */
  async snapshot(w: ExportWindow, deadlineAt: number): Promise<ExportSnapshot> {
    const c = await this.exportConnection();
    try {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const left = String(Math.max(1, deadlineAt - Date.now()));
      await c.query(
        `SELECT set_config('statement_timeout', $1, true),
                set_config('idle_in_transaction_session_timeout', $1, true)`,
        [left],
      );
    } catch (e) {
      c.release(e as Error);
      throw deadlineError(e);
    }
    const args = (after: ExportKey | null) => [
      w.stationIds,
      w.from,
      w.to,
      after?.micros ?? null,
      after?.id ?? null,
    ];
    let open = true;
    return {
      measure: async (after, limit) => {
        const r = await asDeadline(() =>
          c.query<{ n: number; micros: string | null; id: string | null }>(
            `WITH page AS (
             SELECT id, ${MICROS} AS micros, row_number() OVER (ORDER BY checked_in_at, id) AS k
             FROM (SELECT c.id, c.checked_in_at FROM check_ins c WHERE ${WHERE}
                   ORDER BY c.checked_in_at, c.id LIMIT $6) c)
           SELECT (SELECT count(*)::int FROM page) AS n,
                  (SELECT micros FROM page WHERE k = $7) AS micros,
                  (SELECT id::text FROM page WHERE k = $7) AS id`,
            [...args(after), limit + 1, limit],
          ),
        );
        const { n, micros, id } = r.rows[0];
        const more = n > limit && micros !== null && id !== null;
        return { count: Math.min(n, limit), next: more ? { micros, id } : null };
      },
      rows: async (after, n) => {
        const r = await asDeadline(() =>
          c.query<{
            id: string;
            checked_in_at: Date;
            micros: string;
            station_id: string;
            gate_id: string;
            consent_id: string | null;
            medium: string | null;
            policy_version: string;
            policy_hash: string;
          }>(
            // The authority resolves its own consent ids, not the gateway's rider ids.
            `SELECT c.id, c.checked_in_at, ${MICROS} AS micros, c.station_id, c.gate_id,
                  h.consent_id, c.medium, c.policy_version, c.policy_hash
           FROM check_ins c LEFT JOIN health_links h ON h.rider_id = c.rider_id
           WHERE ${WHERE} ORDER BY c.checked_in_at, c.id LIMIT $6`,
            [...args(after), n],
          ),
        );
        return r.rows.map((row) => ({
          id: row.id,
          checkedInAt: row.checked_in_at,
          micros: row.micros,
          stationId: row.station_id,
          gateId: row.gate_id,
          consentId: row.consent_id,
          medium: row.medium,
          policyVersion: row.policy_version,
          policyHash: row.policy_hash,
        }));
      },
      close: async () => {
        if (!open) return;
        open = false;
        await release(c);
      },
      abort: () => {
        if (!open) return;
        open = false;
        c.release(new Error('export ended before its rows'));
      },
    };
  }

  /**
   * One person's check-ins in a window, oldest first: those keyed by the hash of their ID number
   * (sentinel, desk) and those of the rider account registered with it (ride code, linked card,
   * day ticket). On a connection of the export pool, bounded by `deadlineAt`.
   */
  async trace(q: TraceQuery, deadlineAt: number): Promise<TracedRow[]> {
    const c = await this.exportConnection();
    try {
      await c.query('BEGIN READ ONLY');
      await c.query(`SELECT set_config('statement_timeout', $1, true)`, [
        String(Math.max(1, deadlineAt - Date.now())),
      ]);
      const r = await asDeadline(() =>
        c.query<{
          id: string;
          checked_in_at: Date;
          station_id: string;
          gate_id: string;
          rider_id: string | null;
          medium: string | null;
          policy_version: string;
          policy_hash: string;
        }>(
          // Two index scans (one per partial index), not one OR the planner cannot index.
          `SELECT ${TRACED} FROM check_ins
             WHERE person_key = ANY($1::bytea[]) AND checked_in_at >= $2 AND checked_in_at < $3
               AND voided_at IS NULL
           UNION
           SELECT ${TRACED} FROM check_ins
             WHERE rider_id IN (SELECT id FROM riders WHERE id_hash = ANY($1::bytea[]))
               AND rider_id IS NOT NULL AND checked_in_at >= $2 AND checked_in_at < $3
               AND voided_at IS NULL
           ORDER BY checked_in_at, id LIMIT $4`,
          [q.personKeys, q.from, q.to, q.limit],
        ),
      );
      await c.query('COMMIT');
      c.release();
      return r.rows.map((row) => ({
        id: row.id,
        checkedInAt: row.checked_in_at,
        stationId: row.station_id,
        gateId: row.gate_id,
        riderId: row.rider_id,
        medium: row.medium,
        policyVersion: row.policy_version,
        policyHash: row.policy_hash,
      }));
    } catch (e) {
      c.release(e as Error);
      throw deadlineError(e);
    }
  }

  async auditTrace(a: TraceAudit): Promise<void> {
    await this.traces.insert({
      actor: a.actor,
      actorRole: a.actorRole,
      personKey: a.personKey,
      windowFrom: a.from,
      windowTo: a.to,
      rowCount: a.rowCount,
    });
  }

  async audit(a: ExportAudit): Promise<void> {
    await this.exports.insert({
      actor: a.actor,
      actorRole: a.actorRole,
      stationIds: a.window.stationIds,
      windowFrom: a.window.from,
      windowTo: a.window.to,
      format: a.format,
      pageCursor: a.cursor,
      rowCount: a.rowCount,
    });
  }
}

/** A statement the deadline cancelled is the export's deadline, said so; others as they are. */
function deadlineError(e: unknown): unknown {
  return (e as { code?: unknown }).code === QUERY_CANCELED
    ? new AppError('EXPORT_DEADLINE_EXCEEDED', 'the export did not finish within its deadline')
    : e;
}

async function asDeadline<T>(q: () => Promise<T>): Promise<T> {
  try {
    return await q();
  } catch (e) {
    throw deadlineError(e);
  }
}

async function release(c: PoolClient): Promise<void> {
  try {
    await c.query('COMMIT');
    c.release();
  } catch (e) {
    c.release(e as Error);
  }
}
