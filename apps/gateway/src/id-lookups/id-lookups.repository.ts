import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../common/tokens';

/** One read of a person's health status by ID number. Never the number itself. */
export interface IdLookupRow {
  at: Date;
  stationId: string;
  actorKind: 'staff' | 'device';
  /** The staff member (token subject) or the device id. */
  actorId: string;
  /** The keyed hash (ID_HASH_KEY) of the number looked up. */
  personKey: Buffer;
  outcome: 'admitted' | 'rate-limited';
}

/** The append-only trail of ID-number lookups; the database refuses UPDATE and DELETE. */
@Injectable()
export class IdLookupsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async append(r: IdLookupRow): Promise<void> {
    await this.pool.query(
      `INSERT INTO id_lookups (at, station_id, actor_kind, actor_id, person_key, outcome)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [r.at, r.stationId, r.actorKind, r.actorId, r.personKey, r.outcome],
    );
  }
}
