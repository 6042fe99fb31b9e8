import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource, type Repository } from 'typeorm';
import { HealthLinkEntity, RiderEntity, pgPool } from '@app/persistence';

export interface RiderRow {
  id: string;
  idHash: Buffer;
}

@Injectable()
export class RidersRepository {
  private readonly riders: Repository<RiderEntity>;
  private readonly links: Repository<HealthLinkEntity>;
  /** For the consent directory's batched reads, which serve taps. */
  private readonly pool: Pool;

  constructor(private readonly ds: DataSource) {
    this.riders = ds.getRepository(RiderEntity);
    this.links = ds.getRepository(HealthLinkEntity);
    this.pool = pgPool(ds);
  }

  /** Null when a rider with that ID hash already exists. */
  async create(id: string, name: string, idHash: Buffer): Promise<string | null> {
    const r = await this.riders
      .createQueryBuilder()
      .insert()
      .values({ id, name, idHash })
      .orIgnore() // the id is new, so the only conflict is on id_hash
      .returning('id')
      .execute();
    return r.raw.length === 1 ? id : null;
  }

  existsByHash(idHash: Buffer): Promise<boolean> {
    return this.riders.existsBy({ idHash });
  }

  /**
   * Registers a proved person. Another account holding the same person's hash (an older account
   * of theirs, or one registered under a typed number before identity was proved) loses it: its
   * registration is erased in the same transaction. Returns the consents the erased held.
   */
  async createProved(
    id: string,
    idHash: Buffer,
    hashes: Buffer[],
  ): Promise<{ displacedConsents: string[] }> {
    return this.ds.transaction(async (m) => {
      // DELETE … RETURNING answers [rows, count].
      const links = await m.query<[{ consent_id: string }[], number]>(
        `DELETE FROM health_links WHERE rider_id IN
           (SELECT id FROM riders WHERE id_hash = ANY($1::bytea[]) AND id <> $2)
         RETURNING consent_id`,
        [hashes, id],
      );
      await m.query(`DELETE FROM riders WHERE id_hash = ANY($1::bytea[]) AND id <> $2`, [
        hashes,
        id,
      ]);
      await m.query(`INSERT INTO riders (id, id_hash) VALUES ($1, $2)`, [id, idHash]);
      return { displacedConsents: links[0].map((r) => r.consent_id) };
    });
  }

  async rehash(id: string, idHash: Buffer): Promise<void> {
    await this.riders.update({ id }, { idHash });
  }

  async find(id: string): Promise<RiderRow | null> {
    const rider = await this.riders.findOne({ select: { id: true, idHash: true }, where: { id } });
    return rider ? { id: rider.id, idHash: rider.idHash } : null;
  }

  async consentOf(riderId: string): Promise<string | null> {
    const link = await this.links.findOne({ select: { consentId: true }, where: { riderId } });
    return link?.consentId ?? null;
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

  /** The rider's own check-ins since `since`, newest first (the rider-time index). */
  async recentCheckIns(
    riderId: string,
    since: Date,
    limit: number,
  ): Promise<
    { id: string; checkedInAt: Date; stationId: string; gateId: string; medium: string | null }[]
  > {
    const r = await this.pool.query<{
      id: string;
      checked_in_at: Date;
      station_id: string;
      gate_id: string;
      medium: string | null;
    }>(
      `SELECT id, checked_in_at, station_id, gate_id, medium FROM check_ins
       WHERE rider_id = $1 AND checked_in_at >= $2 AND voided_at IS NULL
       ORDER BY checked_in_at DESC, id DESC LIMIT $3`,
      [riderId, since, limit],
    );
    return r.rows.map((row) => ({
      id: row.id,
      checkedInAt: row.checked_in_at,
      stationId: row.station_id,
      gateId: row.gate_id,
      medium: row.medium,
    }));
  }

  /**
   * Erases a registration in one transaction (PIPL Art. 47): the health link, the card links and
   * the rider with their identity hash go. Check-ins stay until retention, as contact tracing
   * needs: the trace found the rider's by their hash through this row, so before it goes the hash
   * is written on their own check-ins (which retention drops with them). Null: no such rider.
   */
  async erase(
    riderId: string,
  ): Promise<{ consentId: string | null; cardsUnlinked: number } | null> {
    return this.ds.transaction(async (m) => {
      const rider = await m.query<{ id_hash: Buffer }[]>(
        'SELECT id_hash FROM riders WHERE id = $1 FOR UPDATE',
        [riderId],
      );
      if (rider.length === 0) return null;
      await m.query(
        `UPDATE check_ins SET person_key = $2 WHERE rider_id = $1 AND person_key IS NULL`,
        [riderId, rider[0].id_hash],
      );
      // DELETE/UPDATE … RETURNING answer [rows, count].
      const [links] = await m.query<[{ consent_id: string }[], number]>(
        'DELETE FROM health_links WHERE rider_id = $1 RETURNING consent_id',
        [riderId],
      );
      const [, cardsUnlinked] = await m.query<[unknown[], number]>(
        'UPDATE transit_cards SET rider_id = NULL WHERE rider_id = $1',
        [riderId],
      );
      await m.query('DELETE FROM riders WHERE id = $1', [riderId]);
      return { consentId: links[0]?.consent_id ?? null, cardsUnlinked };
    });
  }

  /** A new authorization replaces the old one and restarts its clock. */
  async link(riderId: string, consentId: string): Promise<void> {
    await this.links.upsert({ riderId, consentId, authorizedAt: () => 'now()' }, ['riderId']);
  }

  /** Deletes the linkage; returns the consent it held, if any. */
  async unlink(riderId: string): Promise<string | null> {
    const r = await this.links
      .createQueryBuilder()
      .delete()
      .where({ riderId })
      .returning('consent_id')
      .execute();
    const rows = r.raw as { consent_id: string }[];
    return rows[0]?.consent_id ?? null;
  }
}
