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
 *
 * Reloads are monotonic: each reads the timeline with its revision (bumped by the database in
 * every transaction that changes versions or stations), and one that read an older revision
 * than the one held, say because it started earlier and finished later, changes nothing.
 */
@Injectable()
export class RulesService implements OnModuleInit {
  /** The revision of the timeline held; -1 before the first load. */
  private revision = -1n;
  /** A refresh in flight, and whether another was asked for meanwhile. */
  private refreshing: Promise<boolean> | null = null;
  private refreshAgain = false;
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

  /** The revision of the timeline this instance decides by. */
  get heldRevision(): bigint {
    return this.revision;
  }

  /**
   * Reads the timeline and the network (stations, lines, sentinels) it is selected against,
   * in one snapshot with their revision, and holds them, unless what was read is not newer
   * than what is held. True when it replaced them.
   */
  async reload(): Promise<boolean> {
    const { revision, versions, network } = await this.repo.timeline((db) =>
      this.networkDirectory.read(db),
    );
    if (revision <= this.revision) return false;
    this.revision = revision;
    this.networkDirectory.apply(network);
    this.timeline = versions.map((v) => v.version);
    this.lastEffectiveFrom = Math.max(-Infinity, ...this.timeline.map((v) => v.effectiveFrom));
    this.hashes = new Map(versions.map((v) => [v.version.id, v.hash]));
    this.log.info(
      {
        versions: this.timeline.length,
        stations: this.networkDirectory.stationCount(),
        revision: Number(revision),
      },
      'rule timeline loaded',
    );
    return true;
  }

  /**
   * Re-reads the timeline if the database holds a newer revision: a broadcast's hint, or the
   * periodic check. Calls while one runs are folded into one more run after it.
   */
  refresh(): Promise<boolean> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    const run = async (): Promise<boolean> => {
      let changed = false;
      do {
        this.refreshAgain = false;
        if ((await this.repo.revision()) > this.revision)
          changed = (await this.reload()) || changed;
      } while (this.refreshAgain);
      return changed;
    };
    this.refreshing = run().finally(() => (this.refreshing = null));
    return this.refreshing;
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
