/**
 * Shadow rollout, pure part: which scheduled versions a tap is also evaluated against, and
 * what that evaluation is. Only (version, station, from -> to) keys leave this file.
 */
import {
  decide,
  scopeRank,
  selectRules,
  type CredentialFacts,
  type Decision,
  type RuleVersion,
  type StationRef,
} from '@app/decision';
import type { Outcome } from '@app/protocol';

/** The versions scheduled after `now` that will govern this station when they take effect. */
export function pendingVersions(
  timeline: readonly RuleVersion[],
  station: StationRef,
  now: number,
): RuleVersion[] {
  return timeline.filter(
    (v) =>
      v.effectiveFrom > now &&
      scopeRank(v.scope, station) !== null &&
      selectRules(timeline, station, v.effectiveFrom)?.id === v.id,
  );
}

export interface LiveTap {
  mode: 'entry' | 'exit';
  temperatureC: number | null;
  credential: CredentialFacts;
  /** The rules the live decision used. */
  rules: RuleVersion;
  now: number;
}

export type ShadowResult = Decision | { outcome: 'not-evaluable'; reasons: [] };

/**
 * The pending version's decision on the live tap's facts. When the live rules needed no health
 * lookup but the pending ones would, the facts to decide on were never fetched (and are not
 * fetched for this): the tap is not evaluable.
 */
export function shadowDecide(tap: LiveTap, pending: RuleVersion): ShadowResult {
  const c = tap.credential;
  if (
    tap.mode === 'entry' &&
    c.kind === 'rider' &&
    c.health === null &&
    !tap.rules.oneCodeEnabled &&
    pending.oneCodeEnabled
  )
    return { outcome: 'not-evaluable', reasons: [] };
  return decide({
    mode: tap.mode,
    temperatureC: tap.temperatureC,
    credential: c,
    rules: pending,
    now: tap.now,
  });
}

export interface ShadowKey {
  versionId: string;
  stationId: string;
  fromOutcome: Outcome;
  fromReasons: string;
  toOutcome: Outcome | 'not-evaluable';
  toReasons: string;
}

const reasonsKey = (reasons: readonly string[]): string => [...reasons].sort().join(',');

export function shadowKey(
  versionId: string,
  stationId: string,
  live: Decision,
  shadow: ShadowResult,
): ShadowKey {
  return {
    versionId,
    stationId,
    fromOutcome: live.outcome,
    fromReasons: reasonsKey(live.reasons),
    toOutcome: shadow.outcome,
    toReasons: reasonsKey(shadow.reasons),
  };
}

export const encodeKey = (k: ShadowKey): string =>
  [k.versionId, k.stationId, k.fromOutcome, k.fromReasons, k.toOutcome, k.toReasons].join('|');

export interface ShadowTransition {
  from: { outcome: Outcome; reasons: string[] };
  to: { outcome: Outcome | 'not-evaluable'; reasons: string[] };
  taps: number;
}

export interface StationShadow {
  stationId: string;
  evaluated: number;
  unchanged: number;
  /** Different outcome or different reasons. */
  changed: number;
  outcomeChanged: number;
  notEvaluable: number;
  transitions: ShadowTransition[];
}

const split = (r: string): string[] => (r === '' ? [] : r.split(','));

/** Per-station totals from stored (key, count) rows, most frequent change first. */
export function summarize(rows: readonly (ShadowKey & { taps: number })[]): StationShadow[] {
  const byStation = new Map<string, StationShadow>();
  for (const r of rows) {
    let s = byStation.get(r.stationId);
    if (!s) {
      s = {
        stationId: r.stationId,
        evaluated: 0,
        unchanged: 0,
        changed: 0,
        outcomeChanged: 0,
        notEvaluable: 0,
        transitions: [],
      };
      byStation.set(r.stationId, s);
    }
    s.evaluated += r.taps;
    if (r.toOutcome === 'not-evaluable') s.notEvaluable += r.taps;
    else if (r.fromOutcome === r.toOutcome && r.fromReasons === r.toReasons) s.unchanged += r.taps;
    else {
      s.changed += r.taps;
      if (r.fromOutcome !== r.toOutcome) s.outcomeChanged += r.taps;
    }
    s.transitions.push({
      from: { outcome: r.fromOutcome, reasons: split(r.fromReasons) },
      to: { outcome: r.toOutcome, reasons: split(r.toReasons) },
      taps: r.taps,
    });
  }
  const out = [...byStation.values()].sort((a, b) => a.stationId.localeCompare(b.stationId));
  for (const s of out) s.transitions.sort((a, b) => b.taps - a.taps);
  return out;
}
