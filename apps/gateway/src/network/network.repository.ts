import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import {
  CheckpointDeviceEntity,
  LineEntity,
  NetworkAuditEntity,
  StationEntity,
  UnrecordedStationEntity,
  pgPool,
} from '@app/persistence';
import { TIMELINE_LOCK } from '../common/tokens';

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

/** The network as a tap's rules are selected against it. */
export interface NetworkSnapshot {
  stations: StationRecord[];
  sentinels: { stationId: string; deviceId: string }[];
}

async function lines(em: EntityManager): Promise<LineRecord[]> {
  const rows = await em.find(LineEntity, { order: { id: 'ASC' } });
  return rows.map((x) => ({ id: x.id, nameZh: x.nameZh, nameEn: x.nameEn }));
}

async function stations(em: EntityManager, id: string | null = null): Promise<StationRecord[]> {
  const rows = await em.find(StationEntity, {
    where: id === null ? {} : { id },
    order: { id: 'ASC' },
  });
  return rows.map((x) => ({ id: x.id, nameZh: x.nameZh, nameEn: x.nameEn, lines: x.lines }));
}

/** The statements of one network change, inside a transaction holding the timeline lock. */
export class NetworkTx {
  constructor(private readonly em: EntityManager) {}

  lines(): Promise<LineRecord[]> {
    return lines(this.em);
  }

  async station(id: string): Promise<StationRecord | null> {
    return (await stations(this.em, id))[0] ?? null;
  }

  /** False when the id is taken. */
  async insertLine(l: LineRecord): Promise<boolean> {
    const r = await this.em
      .createQueryBuilder()
      .insert()
      .into(LineEntity)
      .values({ id: l.id, nameZh: l.nameZh, nameEn: l.nameEn })
      .orIgnore()
      .returning('id')
      .execute();
    return r.raw.length === 1;
  }

  async updateLine(l: LineRecord): Promise<void> {
    await this.em.update(LineEntity, { id: l.id }, { nameZh: l.nameZh, nameEn: l.nameEn });
  }

  /** False when the id is taken. */
  async insertStation(s: StationRecord): Promise<boolean> {
    const r = await this.em
      .createQueryBuilder()
      .insert()
      .into(StationEntity)
      .values({ id: s.id, nameZh: s.nameZh, nameEn: s.nameEn, lines: s.lines })
      .orIgnore()
      .returning('id')
      .execute();
    return r.raw.length === 1;
  }

  async updateStation(s: StationRecord): Promise<void> {
    await this.em.update(
      StationEntity,
      { id: s.id },
      { nameZh: s.nameZh, nameEn: s.nameEn, lines: s.lines },
    );
  }

  /** Once a station is recorded, its sightings as an unknown one are settled. */
  async forgetSightings(stationId: string): Promise<Sighting | null> {
    const r = await this.em
      .createQueryBuilder()
      .delete()
      .from(UnrecordedStationEntity)
      .where({ stationId })
      .returning('*')
      .execute();
    const rows = r.raw as SightingRow[];
    return rows[0] ? toSighting(rows[0]) : null;
  }

  async device(stationId: string, deviceId: string): Promise<DeviceRecord | null> {
    const d = await this.em.findOneBy(CheckpointDeviceEntity, { stationId, deviceId });
    return d ? toDevice(d) : null;
  }

  async upsertDevice(d: DeviceRecord): Promise<void> {
    await this.em.upsert(
      CheckpointDeviceEntity,
      {
        stationId: d.stationId,
        deviceId: d.deviceId,
        sentinel: d.sentinel,
        updatedBy: d.updatedBy,
        updatedAt: new Date(d.updatedAt),
      },
      ['stationId', 'deviceId'],
    );
  }

  async audit(e: Omit<NetworkAuditEntry, 'id'>): Promise<void> {
    await this.em.insert(NetworkAuditEntity, {
      at: new Date(e.at),
      actor: e.actor,
      actorRole: e.actorRole,
      action: e.action,
      subject: e.subject,
      // Views of records (JSON objects) or null.
      before: e.before as object | null,
      after: e.after as object | null,
    });
  }
}

const toDevice = (d: CheckpointDeviceEntity): DeviceRecord => ({
  stationId: d.stationId,
  deviceId: d.deviceId,
  sentinel: d.sentinel,
  updatedBy: d.updatedBy,
  updatedAt: d.updatedAt.getTime(),
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
  /** Sightings are summed in one set-based upsert, as SQL. */
  private readonly pool: Pool;

  constructor(private readonly ds: DataSource) {
    this.pool = pgPool(ds);
  }

  lines(): Promise<LineRecord[]> {
    return lines(this.ds.manager);
  }

  stations(): Promise<StationRecord[]> {
    return stations(this.ds.manager);
  }

  async devices(stationId: string | null): Promise<DeviceRecord[]> {
    const rows = await this.ds.manager.find(CheckpointDeviceEntity, {
      where: stationId === null ? {} : { stationId },
      order: { stationId: 'ASC', deviceId: 'ASC' },
    });
    return rows.map(toDevice);
  }

  async sentinels(
    em: EntityManager = this.ds.manager,
  ): Promise<{ stationId: string; deviceId: string }[]> {
    const rows = await em.find(CheckpointDeviceEntity, {
      select: { stationId: true, deviceId: true },
      where: { sentinel: true },
    });
    return rows.map((x) => ({ stationId: x.stationId, deviceId: x.deviceId }));
  }

  /** What the in-memory directory holds, read with `em` (a snapshot's transaction, or not). */
  async directory(em: EntityManager = this.ds.manager): Promise<NetworkSnapshot> {
    const found = await stations(em);
    return { stations: found, sentinels: await this.sentinels(em) };
  }

  async sightings(): Promise<Sighting[]> {
    const rows = await this.ds.manager.find(UnrecordedStationEntity, {
      order: { lastSeen: 'DESC', stationId: 'ASC' },
    });
    return rows.map((x) => ({
      stationId: x.stationId,
      firstSeen: x.firstSeen.getTime(),
      lastSeen: x.lastSeen.getTime(),
      taps: Number(x.taps),
    }));
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
    const rows = await this.ds.manager.find(NetworkAuditEntity, {
      order: { id: 'DESC' },
      take: limit,
    });
    return rows.map((x) => ({
      id: Number(x.id),
      at: x.at.getTime(),
      actor: x.actor,
      actorRole: x.actorRole,
      action: x.action as NetworkAction,
      subject: x.subject,
      before: x.before,
      after: x.after,
    }));
  }

  /** One change, serialized with rule schedules (which check scopes against the network). */
  inNetworkLock<T>(fn: (tx: NetworkTx) => Promise<T>): Promise<T> {
    return this.ds.transaction(async (em) => {
      await em.query('SELECT pg_advisory_xact_lock($1)', [TIMELINE_LOCK]);
      return fn(new NetworkTx(em));
    });
  }
}
