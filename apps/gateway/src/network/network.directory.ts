import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { StationRef } from '@app/decision';
import type { Logger } from '../common/logger';
import { LOGGER } from '../common/tokens';
import type { EntityManager } from 'typeorm';
import { NetworkRepository, type NetworkSnapshot, type Sighting } from './network.repository';

/** How often this instance adds its further counts of taps at unknown stations to the table. */
export const SIGHTINGS_FLUSH_MS = 5_000;

/**
 * This instance's copy of the network: which stations exist and on which lines, and which
 * checkpoint devices are digital sentinels. Read on every tap, so held in memory; reloaded
 * with the rule timeline (at boot, on every change broadcast, after a NATS reconnect).
 *
 * A tap at a station with no record is governed by the network-wide rules (the spec says so),
 * but never silently: the first one is logged, and every one is counted for the operator.
 */
@Injectable()
export class NetworkDirectory implements OnApplicationBootstrap, OnApplicationShutdown {
  private stations = new Map<string, StationRef>();
  private lines: string[] = [];
  private sentinels = new Set<string>();
  private pending = new Map<string, Sighting>();
  private warned = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly repo: NetworkRepository,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flushSightings(), SIGHTINGS_FLUSH_MS).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flushSightings();
  }

  async reload(): Promise<void> {
    this.apply(await this.repo.directory());
  }

  /** Reads the network in `em`: the rules' reload passes its snapshot's transaction. */
  read(em: EntityManager): Promise<NetworkSnapshot> {
    return this.repo.directory(em);
  }

  /** Holds a network read earlier (the rules apply it with the timeline it came with). */
  apply({ stations, sentinels }: NetworkSnapshot): void {
    this.stations = new Map(stations.map((s) => [s.id, { stationId: s.id, lines: s.lines }]));
    this.sentinels = new Set(sentinels.map((d) => deviceKey(d.stationId, d.deviceId)));
    for (const id of this.stations.keys()) {
      this.pending.delete(id);
      this.warned.delete(id);
    }
  }

  /** The station as rules see it; an unknown one has no lines, so only network rules cover it. */
  station(stationId: string): StationRef {
    return this.stations.get(stationId) ?? { stationId, lines: [] };
  }

  isRecorded(stationId: string): boolean {
    return this.stations.has(stationId);
  }

  stationCount(): number {
    return this.stations.size;
  }

  /** Every recorded station and every line, as a rule draft is checked against them. */
  snapshot(): { stations: StationRef[]; lines: string[] } {
    return { stations: [...this.stations.values()], lines: [...this.lines] };
  }

  isSentinel(stationId: string, deviceId: string): boolean {
    return this.sentinels.has(deviceKey(stationId, deviceId));
  }

  /** A gate or checkpoint spoke from this station; counted when the gateway has no record of it. */
  sighted(stationId: string, at: number): void {
    if (this.stations.has(stationId)) return;
    const s = this.pending.get(stationId);
    if (s) {
      s.taps += 1;
      s.lastSeen = Math.max(s.lastSeen, at);
      s.firstSeen = Math.min(s.firstSeen, at);
    } else this.pending.set(stationId, { stationId, firstSeen: at, lastSeen: at, taps: 1 });
    if (!this.warned.has(stationId)) {
      // The first one is told at once: logged, and listed for the operator without waiting.
      this.warned.add(stationId);
      this.log.warn(
        { stationId },
        'tap at a station the gateway has no record of: network-wide rules apply; the operator console lists it',
      );
      void this.flushSightings();
    }
  }

  /** Adds the counts gathered since the last flush; on failure they are kept for the next. */
  async flushSightings(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    try {
      await this.repo.addSightings(batch);
    } catch (e) {
      for (const s of batch) {
        const later = this.pending.get(s.stationId);
        this.pending.set(
          s.stationId,
          later
            ? {
                stationId: s.stationId,
                firstSeen: Math.min(s.firstSeen, later.firstSeen),
                lastSeen: Math.max(s.lastSeen, later.lastSeen),
                taps: s.taps + later.taps,
              }
            : s,
        );
      }
      this.log.warn({ err: (e as Error).message }, 'unknown-station counts not saved; will retry');
    }
  }
}

const deviceKey = (stationId: string, deviceId: string): string => `${stationId}/${deviceId}`;
