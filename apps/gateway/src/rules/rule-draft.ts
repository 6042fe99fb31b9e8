/**
 * Pure checks of a version the operator wants to schedule. Every refusal is a sentence the
 * operator can act on; all of them are returned at once.
 */
import { COLOURS, selectRules } from '@app/decision';
import type {
  Colour,
  HealthServiceFallback,
  RuleSettings,
  RuleVersion,
  Scope,
  StationRef,
} from '@app/decision';
import { canonicalJson } from '@app/persistence';
import { formatShanghai, parseInstant } from '@app/protocol';

export const DEFAULTS = {
  temperatureThresholdC: 37.3,
  temperatureRequired: true,
  dayTicketClearanceMinutes: 15,
  allowedColours: ['green'] as Colour[],
  healthServiceFallback: { mode: 'staff', timeoutMs: 250 } as HealthServiceFallback,
};
export const THRESHOLD_RANGE_C = [35, 42] as const;
export const MAX_WINDOW_HOURS = 720;
export const FALLBACK_TIMEOUT_RANGE_MS = [50, 5_000] as const;

/** What the operator sent, already type-checked by the DTO; optional fields take defaults. */
export interface ScheduleInput {
  effectiveFrom: string;
  scope: { kind: 'network' | 'lines' | 'stations'; lines?: string[]; stations?: string[] };
  testWindowHours: number;
  allowedColours?: Colour[];
  temperatureThresholdC?: number;
  temperatureRequired?: boolean;
  oneCodeEnabled: boolean;
  dayTicketClearanceMinutes?: number;
  healthServiceFallback?: { mode: 'staff' | 'cached'; timeoutMs: number; maxAgeMinutes?: number };
  reason: string;
}

export interface Draft {
  effectiveFrom: number;
  scope: Scope;
  settings: RuleSettings;
  reason: string;
}

export interface ScheduleContext {
  /** The gateway's clock. */
  now: number;
  stations: readonly StationRef[];
  /** Lines recorded on their own, which may have no station yet; stations' lines count too. */
  lines?: readonly string[];
  /** Versions not cancelled, past and future. */
  active: readonly RuleVersion[];
}

export type DraftResult = { ok: true; draft: Draft } | { ok: false; refusals: string[] };

const sortedUnique = (xs: readonly string[]): string[] => [...new Set(xs)].sort();

export function normalizeScope(scope: Scope): Scope {
  switch (scope.kind) {
    case 'network':
      return { kind: 'network' };
    case 'lines':
      return { kind: 'lines', lines: sortedUnique(scope.lines) };
    case 'stations':
      return { kind: 'stations', stations: sortedUnique(scope.stations) };
  }
}

export const sameScope = (a: Scope, b: Scope): boolean =>
  canonicalJson(normalizeScope(a)) === canonicalJson(normalizeScope(b));

export function settingsOf(v: RuleSettings): RuleSettings {
  return {
    testWindowHours: v.testWindowHours,
    allowedColours: v.allowedColours,
    temperatureThresholdC: v.temperatureThresholdC,
    temperatureRequired: v.temperatureRequired,
    oneCodeEnabled: v.oneCodeEnabled,
    dayTicketClearanceMinutes: v.dayTicketClearanceMinutes,
    healthServiceFallback: v.healthServiceFallback,
  };
}

export const sameSettings = (a: RuleSettings, b: RuleSettings): boolean =>
  canonicalJson({ ...settingsOf(a), allowedColours: sortedUnique(a.allowedColours) }) ===
  canonicalJson({ ...settingsOf(b), allowedColours: sortedUnique(b.allowedColours) });

/** Stands for every station the gateway has no record of: only the network scope covers it. */
const UNRECORDED: StationRef = { stationId: '', lines: [] };

/** The stations whose rules the scope decides (network: every one, recorded or not). */
export function coveredStations(scope: Scope, stations: readonly StationRef[]): StationRef[] {
  switch (scope.kind) {
    case 'network':
      return [...stations, UNRECORDED];
    case 'lines':
      return stations.filter((s) => s.lines.some((l) => scope.lines.includes(l)));
    case 'stations':
      return stations.filter((s) => scope.stations.includes(s.stationId));
  }
}

function checkScope(input: ScheduleInput['scope'], ctx: ScheduleContext, out: string[]): Scope {
  switch (input.kind) {
    case 'network':
      return { kind: 'network' };
    case 'lines': {
      const lines = sortedUnique(input.lines ?? []);
      if (lines.length === 0) out.push('a lines scope must list at least one line');
      const known = new Set([...(ctx.lines ?? []), ...ctx.stations.flatMap((s) => s.lines)]);
      const unknown = lines.filter((l) => !known.has(l));
      if (unknown.length > 0) out.push(`unknown line(s): ${unknown.join(', ')}`);
      return { kind: 'lines', lines };
    }
    case 'stations': {
      const ids = sortedUnique(input.stations ?? []);
      if (ids.length === 0) out.push('a stations scope must list at least one station');
      const known = new Set(ctx.stations.map((s) => s.stationId));
      const unknown = ids.filter((s) => !known.has(s));
      if (unknown.length > 0) out.push(`unknown station(s): ${unknown.join(', ')}`);
      return { kind: 'stations', stations: ids };
    }
  }
}

function checkFallback(
  input: ScheduleInput['healthServiceFallback'],
  out: string[],
): HealthServiceFallback {
  if (!input) return DEFAULTS.healthServiceFallback;
  const [lo, hi] = FALLBACK_TIMEOUT_RANGE_MS;
  if (!Number.isInteger(input.timeoutMs) || input.timeoutMs < lo || input.timeoutMs > hi)
    out.push(
      `healthServiceFallback.timeoutMs must be a whole number of milliseconds from ${lo} to ${hi}, got ${input.timeoutMs}`,
    );
  if (input.mode === 'staff') return { mode: 'staff', timeoutMs: input.timeoutMs };
  const age = input.maxAgeMinutes;
  if (age === undefined || !Number.isInteger(age) || age < 1 || age > 1440)
    out.push(
      `healthServiceFallback.maxAgeMinutes must be a whole number of minutes from 1 to 1440 for the cached fallback, got ${age ?? 'nothing'}`,
    );
  return { mode: 'cached', timeoutMs: input.timeoutMs, maxAgeMinutes: age ?? 0 };
}

/** A version that adds nothing: every station it covers is already governed, at its instant, by one with the same scope and settings. */
function overlapRefusals(draft: Draft, ctx: ScheduleContext): string[] {
  const out: string[] = [];
  const at = formatShanghai(draft.effectiveFrom);
  const covered = coveredStations(draft.scope, ctx.stations);
  const governing = covered.map((s) => selectRules(ctx.active, s, draft.effectiveFrom));
  const identical = governing.every(
    (v) => v !== null && sameScope(v.scope, draft.scope) && sameSettings(v, draft.settings),
  );
  if (covered.length > 0 && identical) {
    const ids = [...new Set(governing.map((v) => (v as RuleVersion).id))];
    out.push(
      `it would overlap an identical version: ${ids.join(', ')} already applies the same scope and settings at ${at}`,
    );
    return out;
  }
  const twin = ctx.active.find(
    (v) => v.effectiveFrom === draft.effectiveFrom && sameScope(v.scope, draft.scope),
  );
  if (twin)
    out.push(
      `version ${twin.id} already takes effect for the same scope at ${at}: cancel it first`,
    );
  return out;
}

/** Parses, defaults and checks a version to schedule against the known network and timeline. */
export function checkDraft(input: ScheduleInput, ctx: ScheduleContext): DraftResult {
  const refusals: string[] = [];
  const effectiveFrom = parseInstant(input.effectiveFrom);
  if (effectiveFrom === null)
    refusals.push(
      `effectiveFrom must be an ISO-8601 instant with an offset, e.g. 2022-06-01T00:00:00+08:00, got "${input.effectiveFrom}"`,
    );
  else if (effectiveFrom <= ctx.now)
    refusals.push(
      `effectiveFrom ${formatShanghai(effectiveFrom)} is in the past (gateway time ${formatShanghai(ctx.now)}): only a future instant can be scheduled`,
    );

  const w = input.testWindowHours;
  if (!Number.isFinite(w) || w <= 0 || w > MAX_WINDOW_HOURS)
    refusals.push(
      `testWindowHours must be a positive number of hours (at most ${MAX_WINDOW_HOURS}), got ${w}`,
    );

  const threshold = input.temperatureThresholdC ?? DEFAULTS.temperatureThresholdC;
  const [lo, hi] = THRESHOLD_RANGE_C;
  if (!Number.isFinite(threshold) || threshold < lo || threshold > hi)
    refusals.push(`temperatureThresholdC must be between ${lo} and ${hi} °C, got ${threshold}`);

  const clearance = input.dayTicketClearanceMinutes ?? DEFAULTS.dayTicketClearanceMinutes;
  if (!Number.isInteger(clearance) || clearance < 1 || clearance > 1440)
    refusals.push(
      `dayTicketClearanceMinutes must be a whole number of minutes from 1 to 1440, got ${clearance}`,
    );

  const colours = sortedUnique(input.allowedColours ?? DEFAULTS.allowedColours) as Colour[];
  if (colours.some((c) => !COLOURS.includes(c)))
    refusals.push(`allowedColours may only contain ${COLOURS.join(', ')}`);

  if (input.reason.trim().length === 0) refusals.push('reason must say why the rules change');

  const scope = checkScope(input.scope, ctx, refusals);
  const healthServiceFallback = checkFallback(input.healthServiceFallback, refusals);
  if (refusals.length > 0) return { ok: false, refusals };

  const draft: Draft = {
    effectiveFrom: effectiveFrom as number,
    scope,
    reason: input.reason.trim(),
    settings: {
      testWindowHours: w,
      allowedColours: colours,
      temperatureThresholdC: threshold,
      temperatureRequired: input.temperatureRequired ?? DEFAULTS.temperatureRequired,
      oneCodeEnabled: input.oneCodeEnabled,
      dayTicketClearanceMinutes: clearance,
      healthServiceFallback,
    },
  };
  const overlap = overlapRefusals(draft, ctx);
  return overlap.length > 0 ? { ok: false, refusals: overlap } : { ok: true, draft };
}
