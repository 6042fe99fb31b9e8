import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import {
  selectRules,
  stationTimeline,
  type RuleVersion,
  type StationRef,
  type TimelineEntry,
} from '@app/decision';
import type { Logger } from '../common/logger';
import { LOGGER } from '../common/tokens';
import { NetworkDirectory } from '../network/network.directory';
import { RulesRepository } from './rules.repository';
import { pendingVersions } from './shadow';

export interface GoverningRules {
  rules: RuleVersion;
  hash: string;
}

/** Used only before the first version takes effect: nobody passes a machine unchecked. */
const NO_RULES: GoverningRules = {
  rules: {
    id: 'builtin-no-rules',
    effectiveFrom: 0,
    scope: { kind: 'network' },
    reason: 'no rule version in force yet',
    testWindowHours: 48,
    allowedColours: ['green'],
    temperatureThresholdC: 37.3,
    temperatureRequired: true,
    oneCodeEnabled: false,
    dayTicketClearanceMinutes: 15,
    healthServiceFallback: { mode: 'staff', timeoutMs: 250 },
  },
  hash: 'builtin',
};

/**
 * Holds the whole timeline, past and future, in memory and selects by the tap's instant, so
 * a scheduled switch happens at the same instant on every instance without polling.
 */
@Injectable()
export class RulesService implements OnModuleInit {
  private timeline: RuleVersion[] = [];
  /** The latest effectiveFrom in the timeline: past it, nothing is pending. */
  private lastEffectiveFrom = -Infinity;
  private hashes = new Map<string, string>();

  constructor(
    private readonly repo: RulesRepository,
    private readonly networkDirectory: NetworkDirectory,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.reload();
  }

  /** The timeline and the network (stations, lines, sentinels) it is selected against. */
  async reload(): Promise<void> {
    const [versions] = await Promise.all([
      this.repo.activeVersions(),
      this.networkDirectory.reload(),
    ]);
    this.timeline = versions.map((v) => v.version);
    this.lastEffectiveFrom = Math.max(-Infinity, ...this.timeline.map((v) => v.effectiveFrom));
    this.hashes = new Map(versions.map((v) => [v.version.id, v.hash]));
    this.log.info(
      { versions: this.timeline.length, stations: this.networkDirectory.stationCount() },
      'rule timeline loaded',
    );
  }

  station(stationId: string): StationRef {
    return this.networkDirectory.station(stationId);
  }

  /** The versions in memory (not cancelled), past and future. */
  versions(): readonly RuleVersion[] {
    return this.timeline;
  }

  /** Every recorded station and line, as drafts are checked against them. */
  network(): { stations: StationRef[]; lines: string[] } {
    return this.networkDirectory.snapshot();
  }

  governing(stationId: string, t: number): GoverningRules {
    const rules = selectRules(this.timeline, this.station(stationId), t);
    return rules ? { rules, hash: this.hashes.get(rules.id) ?? 'unknown' } : NO_RULES;
  }

  /**
   * The rules a gate's tap or a checkpoint's scan is decided under. A station the gateway has
   * no record of gets the network-wide rules, and is counted so the operator sees it.
   */
  forTap(stationId: string, t: number): GoverningRules {
    this.networkDirectory.sighted(stationId, t);
    return this.governing(stationId, t);
  }

  /** Whether the stations table knows this station. */
  isRecorded(stationId: string): boolean {
    return this.networkDirectory.isRecorded(stationId);
  }

  hashOf(id: string): string | null {
    return this.hashes.get(id) ?? null;
  }

  /** This instance's in-memory timeline for a station: every version that governs it, with bounds. */
  timelineFor(stationId: string): TimelineEntry[] {
    return stationTimeline(this.timeline, this.station(stationId));
  }

  /** Scheduled versions that will govern the station once they take effect (shadow rollout). */
  pendingFor(stationId: string, now: number): RuleVersion[] {
    // The usual case on the tap path: nothing scheduled, so no scan of the timeline.
    if (now >= this.lastEffectiveFrom) return [];
    return pendingVersions(this.timeline, this.station(stationId), now);
  }

  /** How long a cached health status may serve as a fallback under any known version. */
  longestCacheFallbackMs(): number {
    let max = 0;
    for (const v of this.timeline) {
      const fb = v.healthServiceFallback;
      if (fb.mode === 'cached') max = Math.max(max, fb.maxAgeMinutes * 60_000);
    }
    return max;
  }
}
