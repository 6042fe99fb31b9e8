/** Rule versions and their selection: which version governs a station at an instant. */
export type Colour = 'green' | 'yellow' | 'red';
export const COLOURS: readonly Colour[] = ['green', 'yellow', 'red'];

export type Scope =
  | { kind: 'network' }
  | { kind: 'lines'; lines: string[] }
  | { kind: 'stations'; stations: string[] };

export type HealthServiceFallback =
  | { mode: 'staff'; timeoutMs: number }
  | { mode: 'cached'; timeoutMs: number; maxAgeMinutes: number };

export interface RuleSettings {
  testWindowHours: number;
  allowedColours: Colour[];
  temperatureThresholdC: number;
  temperatureRequired: boolean;
  oneCodeEnabled: boolean;
  dayTicketClearanceMinutes: number;
  healthServiceFallback: HealthServiceFallback;
}

export interface RuleVersion extends RuleSettings {
  id: string;
  /** Epoch milliseconds; in force from this instant, inclusive. */
  effectiveFrom: number;
  scope: Scope;
  reason: string;
}

export interface StationRef {
  stationId: string;
  /** Lines serving the station; empty for a station the gateway has no record of. */
  lines: readonly string[];
}

/** 0 network, 1 line, 2 station: the more specific scope wins a tie. */
export function scopeRank(scope: Scope, station: StationRef): number | null {
  switch (scope.kind) {
    case 'network':
      return 0;
    case 'lines':
      return scope.lines.some((l) => station.lines.includes(l)) ? 1 : null;
    case 'stations':
      return scope.stations.includes(station.stationId) ? 2 : null;
  }
}

/**
 * The version in force at `t`: the latest effectiveFrom <= t among versions covering the
 * station; at equal effectiveFrom, station beats line beats network, and a full tie goes to
 * the greater id so every instance agrees whatever the load order. Null before the first.
 */
export function selectRules(
  timeline: readonly RuleVersion[],
  station: StationRef,
  t: number,
): RuleVersion | null {
  let best: RuleVersion | null = null;
  let bestRank = -1;
  for (const v of timeline) {
    if (v.effectiveFrom > t) continue;
    const rank = scopeRank(v.scope, station);
    if (rank === null) continue;
    if (
      best === null ||
      v.effectiveFrom > best.effectiveFrom ||
      (v.effectiveFrom === best.effectiveFrom &&
        (rank > bestRank || (rank === bestRank && v.id > best.id)))
    ) {
      best = v;
      bestRank = rank;
    }
  }
  return best;
}

export interface TimelineEntry {
  version: RuleVersion;
  /** Inclusive. */
  from: number;
  /** Exclusive; null while no later version covers the station. */
  until: number | null;
}

/** The station's timeline: each version that ever governs it, with explicit bounds. */
export function stationTimeline(
  timeline: readonly RuleVersion[],
  station: StationRef,
): TimelineEntry[] {
  const instants = [
    ...new Set(
      timeline.filter((v) => scopeRank(v.scope, station) !== null).map((v) => v.effectiveFrom),
    ),
  ].sort((a, b) => a - b);
  const entries: TimelineEntry[] = [];
  for (const t of instants) {
    const v = selectRules(timeline, station, t);
    if (v === null) continue;
    const last = entries[entries.length - 1];
    if (last && last.version.id === v.id) continue;
    if (last) last.until = t;
    entries.push({ version: v, from: t, until: null });
  }
  return entries;
}
