import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { PG_POOL } from '../common/tokens';

/** A daily partition: `check_ins_pYYYYMMDD` holds [day 00:00+08:00, next day 00:00+08:00). */
export interface DayPartition {
  name: string;
  /** Epoch ms of the day's first and the next day's first instant. */
  from: number;
  to: number;
}

export interface RelatedPurge {
  journeys: number;
  passes: number;
  verifications: number;
  receipts: number;
}

export type EnsureResult = 'created' | 'exists' | 'default-has-rows' | 'busy';

const NAME = /^check_ins_p\d{8}$/;
// Serialises partition DDL across gateway instances; an arbitrary constant.
const DDL_LOCK = 727275;
// DDL on check_ins briefly blocks inserts: give up quickly and retry on the next run.
const LOCK_TIMEOUT = "SET LOCAL lock_timeout = '1s'";

/** All SQL of check-in partition maintenance. */
@Injectable()
export class PartitionsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * Creates the partition unless the DEFAULT partition already holds rows of that day: moving
   * rows out of DEFAULT would lock it for the duration, so that day stays in DEFAULT and is
   * purged row by row instead.
   */
  async ensure(p: DayPartition): Promise<EnsureResult> {
    assertName(p.name);
    return this.ddl(async (c) => {
      const exists = await c.query<{ found: boolean }>(
        'SELECT to_regclass($1) IS NOT NULL AS found',
        [p.name],
      );
      if (exists.rows[0].found) return 'exists';
      const held = await c.query<{ held: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM check_ins_default
                        WHERE checked_in_at >= $1 AND checked_in_at < $2) AS held`,
        [new Date(p.from), new Date(p.to)],
      );
      if (held.rows[0].held) return 'default-has-rows';
      try {
        await c.query('SAVEPOINT create_partition');
        await c.query(
          `CREATE TABLE ${p.name} PARTITION OF check_ins
           FOR VALUES FROM ('${new Date(p.from).toISOString()}') TO ('${new Date(p.to).toISOString()}')`,
        );
        return 'created';
      } catch (e) {
        // 23514: a row reached DEFAULT since we looked.
        if ((e as { code?: string }).code !== '23514') throw e;
        await c.query('ROLLBACK TO SAVEPOINT create_partition');
        return 'default-has-rows';
      }
    });
  }

  /** The daily partitions that exist, by name. */
  async list(): Promise<string[]> {
    const r = await this.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'check_ins'::regclass ORDER BY c.relname`,
    );
    return r.rows.map((row) => row.name).filter((n) => NAME.test(n));
  }

  /** Drops a whole expired day: no row-by-row delete, no table bloat. */
  async drop(name: string): Promise<boolean> {
    assertName(name);
    const r = await this.ddl(async (c) => {
      await c.query(`DROP TABLE IF EXISTS ${name}`);
      return 'created' as const;
    });
    return r !== 'busy';
  }

  /** Rows that landed in DEFAULT (days without a partition) are purged one by one. */
  async purgeDefault(before: Date, batch = 5_000): Promise<number> {
    let total = 0;
    for (;;) {
      const r = await this.pool.query(
        `DELETE FROM check_ins_default WHERE ctid IN (
           SELECT ctid FROM check_ins_default WHERE checked_in_at < $1 LIMIT $2)`,
        [before, batch],
      );
      total += r.rowCount ?? 0;
      if ((r.rowCount ?? 0) < batch) return total;
    }
  }

  /**
   * What the check-ins' retention also ends: journeys last changed, staff passes issued,
   * verifications made and tap receipts created before `before`. Batched, so no statement
   * holds many row locks; a journey changed meanwhile is re-checked and kept.
   */
  async purgeRelated(before: Date, batch = 5_000): Promise<RelatedPurge> {
    const loop = async (sql: string): Promise<number> => {
      let total = 0;
      for (;;) {
        const r = await this.pool.query(sql, [before, batch]);
        total += r.rowCount ?? 0;
        if ((r.rowCount ?? 0) < batch) return total;
      }
    };
    const journeys = await loop(
      `DELETE FROM journeys WHERE traveller IN (
         SELECT traveller FROM journeys WHERE changed_at < $1 LIMIT $2) AND changed_at < $1`,
    );
    const passes = await loop(
      `DELETE FROM staff_passes WHERE id IN (
         SELECT id FROM staff_passes WHERE issued_at < $1 LIMIT $2)`,
    );
    // A verification goes once no pass names it (its passes went just above).
    const verifications = await loop(
      `DELETE FROM staff_verifications WHERE id IN (
         SELECT v.id FROM staff_verifications v WHERE v.at < $1
           AND NOT EXISTS (SELECT 1 FROM staff_passes p WHERE p.verification_id = v.id)
         LIMIT $2)`,
    );
    const receipts = await loop(
      `DELETE FROM tap_receipts WHERE (station_id, gate_id, tap_id) IN (
         SELECT station_id, gate_id, tap_id FROM tap_receipts WHERE created_at < $1 LIMIT $2)`,
    );
    return { journeys, passes, verifications, receipts };
  }

  private async ddl<T extends EnsureResult>(
    work: (c: PoolClient) => Promise<T>,
  ): Promise<T | 'busy'> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query(LOCK_TIMEOUT);
      const got = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [
        DDL_LOCK,
      ]);
      if (!got.rows[0].ok) {
        await c.query('ROLLBACK');
        return 'busy';
      }
      const result = await work(c);
      await c.query('COMMIT');
      return result;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }
}

function assertName(name: string): void {
  // Names are interpolated into DDL; they are built from digits only, and checked here.
  if (!NAME.test(name)) throw new Error(`not a check-in partition name: ${name}`);
}
