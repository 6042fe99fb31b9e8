import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import type { Principal } from '@app/access-token';
import { EVENTS, ID_PATTERN, formatShanghai, mustMatch } from '@app/protocol';
import type { Clock } from '../common/clock';
import { AppError } from '../common/errors';
import type { Logger } from '../common/logger';
import { CLOCK, LOGGER, NATS, RULES_RELOADER, type RulesReloader } from '../common/tokens';
import type {
  CreateLineDto,
  CreateStationDto,
  DeviceDto,
  LineDto,
  NetworkAuditDto,
  RenameLineDto,
  StationDto,
  UnrecordedStationDto,
  UpdateStationDto,
} from './network.dto';
import { NetworkDirectory } from './network.directory';
import {
  NetworkRepository,
  type DeviceRecord,
  type NetworkAction,
  type NetworkTx,
} from './network.repository';

const uniqueSorted = (xs: readonly string[]): string[] => [...new Set(xs)].sort();

const deviceView = (d: DeviceRecord): DeviceDto => ({
  ...d,
  updatedAt: formatShanghai(d.updatedAt),
});

/**
 * The operator's network: lines, stations and their lines, checkpoint devices and which are
 * digital sentinels. Each change is audited in its transaction, then every instance reloads
 * (this one before it answers), so the next tap anywhere sees it.
 */
@Injectable()
export class NetworkService {
  constructor(
    private readonly repo: NetworkRepository,
    private readonly directory: NetworkDirectory,
    @Inject(RULES_RELOADER) private readonly rules: RulesReloader,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  lines(): Promise<LineDto[]> {
    return this.repo.lines();
  }

  stations(): Promise<StationDto[]> {
    return this.repo.stations();
  }

  async unrecorded(): Promise<UnrecordedStationDto[]> {
    await this.directory.flushSightings();
    return (await this.repo.sightings()).map((s) => ({
      stationId: s.stationId,
      firstSeen: formatShanghai(s.firstSeen),
      lastSeen: formatShanghai(s.lastSeen),
      taps: s.taps,
    }));
  }

  async devices(stationId: string | undefined): Promise<DeviceDto[]> {
    return (await this.repo.devices(stationId ?? null)).map(deviceView);
  }

  async audit(limit: number | undefined): Promise<NetworkAuditDto[]> {
    return (await this.repo.auditTrail(limit ?? 100)).map((e) => ({
      ...e,
      at: formatShanghai(e.at),
    }));
  }

  async createLine(who: Principal, dto: CreateLineDto): Promise<LineDto> {
    const line = { id: dto.id, nameZh: dto.nameZh.trim(), nameEn: dto.nameEn.trim() };
    await this.change(who, 'line-create', line.id, async (tx) => {
      if (!(await tx.insertLine(line)))
        throw new AppError('LINE_EXISTS', `line ${line.id} already exists: rename it instead`);
      return { before: null, after: line };
    });
    return line;
  }

  async renameLine(who: Principal, id: string, dto: RenameLineDto): Promise<LineDto> {
    return this.change(who, 'line-rename', id, async (tx) => {
      const before = (await tx.lines()).find((l) => l.id === id);
      if (!before) throw new AppError('NOT_FOUND', `no line ${id}`);
      const after = {
        id,
        nameZh: dto.nameZh?.trim() ?? before.nameZh,
        nameEn: dto.nameEn?.trim() ?? before.nameEn,
      };
      await tx.updateLine(after);
      return { before, after };
    });
  }

  async createStation(who: Principal, dto: CreateStationDto): Promise<StationDto> {
    return this.change(who, 'station-create', dto.id, async (tx) => {
      const lines = await this.knownLines(tx, dto.lines);
      const station = {
        id: dto.id,
        nameZh: dto.nameZh.trim(),
        nameEn: dto.nameEn.trim(),
        lines,
      };
      if (!(await tx.insertStation(station)))
        throw new AppError('STATION_EXISTS', `station ${dto.id} already exists: update it instead`);
      // Taps it made while unknown were under network rules; the record keeps that visible.
      const sightings = await tx.forgetSightings(dto.id);
      return {
        before: sightings === null ? null : { unrecorded: { ...sightings } },
        after: station,
      };
    });
  }

  async updateStation(who: Principal, id: string, dto: UpdateStationDto): Promise<StationDto> {
    return this.change(who, 'station-update', id, async (tx) => {
      const before = await tx.station(id);
      if (!before) throw new AppError('NOT_FOUND', `no station ${id}: create it first`);
      const after = {
        id,
        nameZh: dto.nameZh?.trim() ?? before.nameZh,
        nameEn: dto.nameEn?.trim() ?? before.nameEn,
        lines: dto.lines === undefined ? before.lines : await this.knownLines(tx, dto.lines),
      };
      await tx.updateStation(after);
      return { before, after };
    });
  }

  async setDevice(
    who: Principal,
    stationId: string,
    deviceId: string,
    sentinel: boolean,
  ): Promise<DeviceDto> {
    for (const [name, v] of [
      ['stationId', stationId],
      ['deviceId', deviceId],
    ])
      if (!ID_PATTERN.test(v)) throw new AppError('VALIDATION_FAILED', mustMatch(name, ID_PATTERN));
    return this.change(who, 'device-set', `${stationId}/${deviceId}`, async (tx) => {
      if (!(await tx.station(stationId)))
        throw new AppError('NOT_FOUND', `no station ${stationId}: create it first`);
      const before = await tx.device(stationId, deviceId);
      const after = {
        stationId,
        deviceId,
        sentinel,
        updatedBy: who.sub,
        updatedAt: this.clock.now(),
      };
      await tx.upsertDevice(after);
      return { before: before && deviceView(before), after: deviceView(after) };
    });
  }

  /** The lines named, each of which must exist. */
  private async knownLines(tx: NetworkTx, named: string[]): Promise<string[]> {
    const lines = uniqueSorted(named);
    const known = new Set((await tx.lines()).map((l) => l.id));
    const unknown = lines.filter((l) => !known.has(l));
    if (unknown.length > 0)
      throw new AppError(
        'NETWORK_REFUSED',
        `unknown line(s): ${unknown.join(', ')}: create the line first`,
      );
    return lines;
  }

  /** One audited change in one transaction, then announced to every instance. */
  private async change<T>(
    who: Principal,
    action: NetworkAction,
    subject: string,
    apply: (tx: NetworkTx) => Promise<{ before: unknown; after: T }>,
  ): Promise<T> {
    const { after } = await this.repo.inNetworkLock(async (tx) => {
      const result = await apply(tx);
      await tx.audit({
        at: this.clock.now(),
        actor: who.sub,
        actorRole: who.role,
        action,
        subject,
        before: result.before,
        after: result.after,
      });
      return result;
    });
    this.nc.publish(EVENTS.rulesChanged, JSON.stringify({ action: 'network-changed', subject }));
    this.log.info({ action, subject }, 'network changed');
    try {
      await this.rules.reload();
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'reload after a network change failed');
    }
    return after;
  }
}
