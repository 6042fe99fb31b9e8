import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../common/tokens';

export interface Clearance {
  stationId: string;
  deviceId: string;
  tapId: string;
  riderId: string;
  clearedAt: Date;
}

/** Checkpoint clearances: who passed the security check where and when (personal data). */
@Injectable()
export class ClearancesRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Idempotent per scan: a retried scan records nothing new. */
  async record(c: Clearance): Promise<void> {
    await this.pool.query(
      `INSERT INTO checkpoint_clearances (station_id, device_id, tap_id, rider_id, cleared_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [c.stationId, c.deviceId, c.tapId, c.riderId, c.clearedAt],
    );
  }

  /** A clearance only ever matters for minutes. */
  async purgeBefore(before: Date): Promise<number> {
    const r = await this.pool.query('DELETE FROM checkpoint_clearances WHERE cleared_at < $1', [
      before,
    ]);
    return r.rowCount ?? 0;
  }
}
