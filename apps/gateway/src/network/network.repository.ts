import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { PG_POOL } from '../common/tokens';
import { TIMELINE_LOCK } from '../rules/rules.repository';

export interface LineRecord {
  id: string;
  nameZh: string;
  nameEn: string;
}

export interface StationRecord extends LineRecord {
  lines: string[];
}

export interface DeviceRecord {
  stationId: string;
  deviceId: string;
  sentinel: boolean;
  updatedBy: string;
  updatedAt: number;
}

export interface Sighting {
  stationId: string;
  firstSeen: number;
  lastSeen: number;
  taps: number;
}

export interface NetworkAuditEntry {
  id: number;
  at: number;
  actor: string;
  actorRole: string;
  action: NetworkAction;
  subject: string;
  before: unknown;
  after: unknown;
}

export type NetworkAction =
  'line-create' | 'line-rename' | 'station-create' | 'station-update' | 'device-set';

type Queryable = Pick<Pool | PoolClient, 'query'>;

async function lines(db: Queryable): Promise<LineRecord[]> {
  const r = await db.query<{ id: string; name_zh: string; name_en: string }>(
    'SELECT id, name_zh, name_en FROM lines ORDER BY id',
  );
  return r.rows.map((x) => ({ id: x.id, nameZh: x.name_zh, nameEn: x.name_en }));
}

async function stations(db: Queryable, id: string | null = null): Promise<StationRecord[]> {
  const r = await db.query<{ id: string; name_zh: string; name_en: string; lines: string[] }>(
    'SELECT id, name_zh, name_en, lines FROM stations WHERE $1::text IS NULL OR id = $1 ORDER BY id',
    [id],
  );
  return r.rows.map((x) => ({ id: x.id, nameZh: x.name_zh, nameEn: x.name_en, lines: x.lines }));
}

/** The statements of one network change, inside a transaction holding the timeline lock. */
export class NetworkTx {
  constructor(private readonly c: PoolClient) {}

  lines(): Promise<LineRecord[]> {
    return lines(this.c);
  }

  async station(id: string): Promise<StationRecord | null> {
    return (await stations(this.c, id))[0] ?? null;
  }

  async insertLine(l: LineRecord): Promise<boolean> {
    const r = await this.c.query(
      'INSERT INTO lines (id, name_zh, name_en) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [l.id, l.nameZh, l.nameEn],
    );
    return r.rowCount === 1;
  }

  async updateLine(l: LineRecord): Promise<void> {
    await this.c.query('UPDATE lines SET name_zh = $2, name_en = $3 WHERE id = $1', [
      l.id,
      l.nameZh,
      l.nameEn,
    ]);
  }

  async insertStation(s: StationRecord): Promise<boolean> {
    const r = await this.c.query(
      `INSERT INTO stations (id, name_zh, name_en, lines) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [s.id, s.nameZh, s.nameEn, s.lines],
    );
    return r.rowCount === 1;
  }

  async updateStation(s: StationRecord): Promise<void> {
    await this.c.query('UPDATE stations SET name_zh = $2, name_en = $3, lines = $4 WHERE id = $1', [
      s.id,
      s.nameZh,
      s.nameEn,
      s.lines,
    ]);
  }

  /** Once a station is recorded, its sightings as an unknown one are settled. */
  async forgetSightings(stationId: string): Promise<Sighting | null> {
    const r = await this.c.query<SightingRow>(
      'DELETE FROM unrecorded_stations WHERE station_id = $1 RETURNING *',
      [stationId],
    );
    return r.rows[0] ? toSighting(r.rows[0]) : null;
  }

  async device(stationId: string, deviceId: string): Promise<DeviceRecord | null> {
    const r = await this.c.query<DeviceRow>(
      'SELECT * FROM checkpoint_devices WHERE station_id = $1 AND device_id = $2',
      [stationId, deviceId],
    );
    return r.rows[0] ? toDevice(r.rows[0]) : null;
  }

  async upsertDevice(d: DeviceRecord): Promise<void> {
    await this.c.query(
      `INSERT INTO checkpoint_devices (station_id, device_id, sentinel, updated_by, updated_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (station_id, device_id)
       DO UPDATE SET sentinel = EXCLUDED.sentinel, updated_by = EXCLUDED.updated_by,
                     updated_at = EXCLUDED.updated_at`,
      [d.stationId, d.deviceId, d.sentinel, d.updatedBy, new Date(d.updatedAt)],
    );
  }

  async audit(e: Omit<NetworkAuditEntry, 'id'>): Promise<void> {
    await this.c.query(
      `INSERT INTO network_audit (at, actor, actor_role, action, subject, before, after)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        new Date(e.at),
        e.actor,
        e.actorRole,
        e.action,
        e.subject,
        e.before === null ? null : JSON.stringify(e.before),
        e.after === null ? null : JSON.stringify(e.after),
      ],
    );
  }
}

interface DeviceRow {
  station_id: string;
  device_id: string;
  sentinel: boolean;
  updated_by: string;
  updated_at: Date;
}

const toDevice = (r: DeviceRow): DeviceRecord => ({
  stationId: r.station_id,
  deviceId: r.device_id,
  sentinel: r.sentinel,
  updatedBy: r.updated_by,
  updatedAt: r.updated_at.getTime(),
});

interface SightingRow {
  station_id: string;
  first_seen: Date;
  last_seen: Date;
  taps: string;
}

const toSighting = (r: SightingRow): Sighting => ({
  stationId: r.station_id,
  firstSeen: r.first_seen.getTime(),
  lastSeen: r.last_seen.getTime(),
  taps: Number(r.taps),
});

/** Stations, lines, checkpoint devices, sightings of unknown stations, and their audit. */
@Injectable()
export class NetworkRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  lines(): Promise<LineRecord[]> {
    return lines(this.pool);
  }

  stations(): Promise<StationRecord[]> {
    return stations(this.pool);
  }

  async devices(stationId: string | null): Promise<DeviceRecord[]> {
    const r = await this.pool.query<DeviceRow>(
      `SELECT * FROM checkpoint_devices WHERE $1::text IS NULL OR station_id = $1
       ORDER BY station_id, device_id`,
      [stationId],
    );
    return r.rows.map(toDevice);
  }

  async sentinels(): Promise<{ stationId: string; deviceId: string }[]> {
    const r = await this.pool.query<{ station_id: string; device_id: string }>(
      'SELECT station_id, device_id FROM checkpoint_devices WHERE sentinel',
    );
    return r.rows.map((x) => ({ stationId: x.station_id, deviceId: x.device_id }));
  }

  async sightings(): Promise<Sighting[]> {
    const r = await this.pool.query<SightingRow>(
      'SELECT * FROM unrecorded_stations ORDER BY last_seen DESC, station_id',
    );
    return r.rows.map(toSighting);
  }

  /** Adds this instance's counts; a station recorded meanwhile is not resurrected as unknown. */
  async addSightings(s: Sighting[]): Promise<void> {
    if (s.length === 0) return;
    await this.pool.query(
      `INSERT INTO unrecorded_stations (station_id, first_seen, last_seen, taps)
       SELECT x.station_id, x.first_seen, x.last_seen, x.taps
       FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::bigint[])
         AS x(station_id, first_seen, last_seen, taps)
       WHERE NOT EXISTS (SELECT 1 FROM stations WHERE id = x.station_id)
       ON CONFLICT (station_id) DO UPDATE SET
         first_seen = least(unrecorded_stations.first_seen, EXCLUDED.first_seen),
         last_seen = greatest(unrecorded_stations.last_seen, EXCLUDED.last_seen),
         taps = unrecorded_stations.taps + EXCLUDED.taps`,
      [
        s.map((x) => x.stationId),
        s.map((x) => new Date(x.firstSeen)),
        s.map((x) => new Date(x.lastSeen)),
        s.map((x) => x.taps),
      ],
    );
  }

  async auditTrail(limit: number): Promise<NetworkAuditEntry[]> {
    const r = await this.pool.query<{
      id: string;
      at: Date;
      actor: string;
      actor_role: string;
      action: NetworkAction;
      subject: string;
      before: unknown;
      after: unknown;
    }>('SELECT * FROM network_audit ORDER BY id DESC LIMIT $1', [limit]);
    return r.rows.map((x) => ({
      id: Number(x.id),
      at: x.at.getTime(),
      actor: x.actor,
      actorRole: x.actor_role,
      action: x.action,
      subject: x.subject,
      before: x.before,
      after: x.after,
    }));
  }

  /** One change, serialized with rule schedules (which check scopes against the network). */
  async inNetworkLock<T>(fn: (tx: NetworkTx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [TIMELINE_LOCK]);
      const result = await fn(new NetworkTx(client));
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
