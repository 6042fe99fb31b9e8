import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../common/tokens';

export interface RiderRow {
  id: string;
  name: string;
  idHash: Buffer;
}

@Injectable()
export class RidersRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Null when a rider with that ID hash already exists. */
  async create(id: string, name: string, idHash: Buffer): Promise<string | null> {
    const r = await this.pool.query(
      'INSERT INTO riders (id, name, id_hash) VALUES ($1, $2, $3) ON CONFLICT (id_hash) DO NOTHING RETURNING id',
      [id, name, idHash],
    );
    return r.rowCount === 1 ? id : null;
  }

  async existsByHash(idHash: Buffer): Promise<boolean> {
    const r = await this.pool.query('SELECT 1 FROM riders WHERE id_hash = $1', [idHash]);
    return r.rowCount === 1;
  }

  async rehash(id: string, idHash: Buffer): Promise<void> {
    await this.pool.query('UPDATE riders SET id_hash = $2 WHERE id = $1', [id, idHash]);
  }

  async find(id: string): Promise<RiderRow | null> {
    const r = await this.pool.query<{ id: string; name: string; id_hash: Buffer }>(
      'SELECT id, name, id_hash FROM riders WHERE id = $1',
      [id],
    );
    const row = r.rows[0];
    return row ? { id: row.id, name: row.name, idHash: row.id_hash } : null;
  }

  async consentOf(riderId: string): Promise<string | null> {
    const r = await this.pool.query<{ consent_id: string }>(
      'SELECT consent_id FROM health_links WHERE rider_id = $1',
      [riderId],
    );
    return r.rows[0]?.consent_id ?? null;
  }

  /** Consents of many riders in one query; riders without one are absent. */
  async consentsOf(riderIds: string[]): Promise<Map<string, string>> {
    const r = await this.pool.query<{ rider_id: string; consent_id: string }>(
      'SELECT rider_id, consent_id FROM health_links WHERE rider_id = ANY($1::uuid[])',
      [riderIds],
    );
    return new Map(r.rows.map((row) => [row.rider_id, row.consent_id]));
  }

  /** Links in rider-id order, after `after` (keyset paging, so a large table is read in steps). */
  async linksAfter(
    after: string | null,
    limit: number,
  ): Promise<{ riderId: string; consentId: string }[]> {
    const r = await this.pool.query<{ rider_id: string; consent_id: string }>(
      `SELECT rider_id, consent_id FROM health_links
       WHERE $1::uuid IS NULL OR rider_id > $1::uuid ORDER BY rider_id LIMIT $2`,
      [after, limit],
    );
    return r.rows.map((row) => ({ riderId: row.rider_id, consentId: row.consent_id }));
  }

  async link(riderId: string, consentId: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO health_links (rider_id, consent_id) VALUES ($1, $2)
       ON CONFLICT (rider_id) DO UPDATE SET consent_id = EXCLUDED.consent_id, authorized_at = now()`,
      [riderId, consentId],
    );
  }

  /** Deletes the linkage; returns the consent it held, if any. */
  async unlink(riderId: string): Promise<string | null> {
    const r = await this.pool.query<{ consent_id: string }>(
      'DELETE FROM health_links WHERE rider_id = $1 RETURNING consent_id',
      [riderId],
    );
    return r.rows[0]?.consent_id ?? null;
  }
}
