import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { IdLookupEntity } from '@app/persistence';

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
  private readonly rows: Repository<IdLookupEntity>;

  constructor(ds: DataSource) {
    this.rows = ds.getRepository(IdLookupEntity);
  }

  async append(r: IdLookupRow): Promise<void> {
    await this.rows.insert(r);
  }
}
