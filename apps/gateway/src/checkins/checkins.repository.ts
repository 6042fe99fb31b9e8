import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { DataSource, type Repository } from 'typeorm';
import { CheckinExportAuditEntity } from '@app/persistence';
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
  riderId: string | null;
  medium: string | null;
  policyVersion: string;
  policyHash: string;
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

/** PostgreSQL's "query canceled": here, the statement ran into the export's deadline. */
const QUERY_CANCELED = '57014';

const WHERE = `station_id = ANY($1::text[]) AND checked_in_at >= $2 AND checked_in_at < $3
  AND ($4::bigint IS NULL OR (checked_in_at, id) >
       (timestamptz 'epoch' + $4::bigint * interval '1 microsecond', $5::uuid))`;
const MICROS = `(extract(epoch FROM checked_in_at) * 1000000)::bigint::text`;

/**
 * Check-in reads for the trace export, and its audit trail. The export reads a keyset-paged
 * snapshot as SQL (exact microsecond keys, one REPEATABLE READ view) on a connection of the
 * export pool, never one taps and the API use.
 */
@Injectable()
export class CheckinsRepository {
  private readonly exports: Repository<CheckinExportAuditEntity>;

  constructor(
    ds: DataSource,
    @Inject(EXPORT_POOL) private readonly exportPool: Pool,
  ) {
    this.exports = ds.getRepository(CheckinExportAuditEntity);
  }

  /**
   * A snapshot whose every statement, and every wait between them for a slow reader, ends
   * by `deadlineAt` (ms since epoch): PostgreSQL cancels them itself.
   */
  async snapshot(w: ExportWindow, deadlineAt: number): Promise<ExportSnapshot> {
    let c: PoolClient;
    try {
      c = await this.exportPool.connect();
    } catch {
      throw new AppError(
        'EXPORT_BUSY',
        'every export connection is streaming another export: retry in a moment',
      );
    }
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
             FROM (SELECT id, checked_in_at FROM check_ins WHERE ${WHERE}
                   ORDER BY checked_in_at, id LIMIT $6) s)
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
            rider_id: string | null;
            medium: string | null;
            policy_version: string;
            policy_hash: string;
          }>(
            `SELECT id, checked_in_at, ${MICROS} AS micros, station_id, gate_id, rider_id, medium,
                  policy_version, policy_hash
           FROM check_ins WHERE ${WHERE} ORDER BY checked_in_at, id LIMIT $6`,
            [...args(after), n],
          ),
        );
        return r.rows.map((row) => ({
          id: row.id,
          checkedInAt: row.checked_in_at,
          micros: row.micros,
          stationId: row.station_id,
          gateId: row.gate_id,
          riderId: row.rider_id,
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
