import fc from 'fast-check';
import {
  selectRules,
  stationTimeline,
  type RuleVersion,
  type Scope,
  type StationRef,
} from './rules';
import { RULES_48H_FROM, hours, ruleVersion, station } from './testing/factories';

const RUNS = 400;

/** A small world so that scopes, lines and effectiveFrom instants collide often. */
const LINES = ['1', '2', '3', '4'];
const STATION_IDS = ['A', 'B', 'C', 'D', 'E', 'F'];
const STATIONS: StationRef[] = [
  station('A', ['1']),
  station('B', ['1', '2']), // interchange
  station('C', ['3']),
  station('D', []), // unknown to the gateway
  station('E', ['2']),
  station('F', ['4']),
];
const MAX_STEP = 12;

const instant = (step: number): number => RULES_48H_FROM + hours(step);

const scopeArb: fc.Arbitrary<Scope> = fc.oneof(
  fc.constant<Scope>({ kind: 'network' }),
  fc.subarray(LINES).map((lines): Scope => ({ kind: 'lines', lines })),
  fc.subarray(STATION_IDS).map((stations): Scope => ({ kind: 'stations', stations })),
);

const timelineArb: fc.Arbitrary<RuleVersion[]> = fc
  .array(fc.record({ scope: scopeArb, step: fc.integer({ min: 0, max: MAX_STEP }) }), {
    maxLength: 12,
  })
  .map((specs) =>
    specs.map(({ scope, step }, i) =>
      ruleVersion({ id: `v${i}`, scope, effectiveFrom: instant(step) }),
    ),
  );

const stationArb = fc.constantFrom(...STATIONS);

/** Instants on and next to every possible boundary, and before the first one. */
const tArb = fc
  .tuple(fc.integer({ min: -2, max: MAX_STEP + 2 }), fc.constantFrom(-1, 0, 1))
  .map(([step, deltaMs]) => instant(step) + deltaMs);

const ALL_TS: number[] = [];
for (let step = -2; step <= MAX_STEP + 2; step++) {
  for (const d of [-1, 0, 1]) ALL_TS.push(instant(step) + d);
}

/** Independent of scopeRank: 0 network, 1 line, 2 station; null when not covering. */
function naiveRank(scope: Scope, st: StationRef): number | null {
  if (scope.kind === 'network') return 0;
  if (scope.kind === 'lines')
    return scope.lines.filter((l) => st.lines.includes(l)).length > 0 ? 1 : null;
  return scope.stations.indexOf(st.stationId) >= 0 ? 2 : null;
}

/**
 * Reference: among covering versions with effectiveFrom <= t, sort by (effectiveFrom, rank) and
 * take the greatest. On a full tie (same instant, same rank) the one listed first wins, which is
 * what the implementation does; the reference pins that explicitly.
 */
function referenceSelect(
  tl: readonly RuleVersion[],
  st: StationRef,
  t: number,
): RuleVersion | null {
  const candidates = tl
    .map((v, index) => ({ v, index, rank: naiveRank(v.scope, st) }))
    .filter((c): c is { v: RuleVersion; index: number; rank: number } => c.rank !== null)
    .filter((c) => c.v.effectiveFrom <= t)
    .sort(
      (a, b) =>
        a.v.effectiveFrom - b.v.effectiveFrom ||
        a.rank - b.rank ||
        (a.v.id < b.v.id ? -1 : a.v.id > b.v.id ? 1 : 0),
    );
  return candidates.length === 0 ? null : candidates[candidates.length - 1].v;
}

describe('selectRules, properties over arbitrary timelines', () => {
  it('(a) equals the naive reference: max (effectiveFrom, rank) among covering versions <= t', () => {
    fc.assert(
      fc.property(timelineArb, stationArb, tArb, (tl, st, t) => {
        expect(selectRules(tl, st, t)).toBe(referenceSelect(tl, st, t));
      }),
      { numRuns: RUNS },
    );
  });

  it('(b) the chosen version covers the station and is already in force at t', () => {
    fc.assert(
      fc.property(timelineArb, stationArb, tArb, (tl, st, t) => {
        const chosen = selectRules(tl, st, t);
        if (chosen === null) {
          // null only when nothing covering is in force yet
          expect(tl.some((v) => naiveRank(v.scope, st) !== null && v.effectiveFrom <= t)).toBe(
            false,
          );
          return;
        }
        expect(naiveRank(chosen.scope, st)).not.toBeNull();
        expect(chosen.effectiveFrom).toBeLessThanOrEqual(t);
      }),
      { numRuns: RUNS },
    );
  });

  it('(c) no covering version in force at t has a greater (effectiveFrom, rank)', () => {
    fc.assert(
      fc.property(timelineArb, stationArb, tArb, (tl, st, t) => {
        const chosen = selectRules(tl, st, t);
        if (chosen === null) return;
        const chosenRank = naiveRank(chosen.scope, st)!;
        for (const v of tl) {
          const rank = naiveRank(v.scope, st);
          if (rank === null || v.effectiveFrom > t) continue;
          const greater =
            v.effectiveFrom > chosen.effectiveFrom ||
            (v.effectiveFrom === chosen.effectiveFrom && rank > chosenRank);
          expect(greater).toBe(false);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('stationTimeline, properties over arbitrary timelines', () => {
  it('(d) for every t, selectRules(t) is the entry whose [from, until) contains t; null before the first', () => {
    fc.assert(
      fc.property(timelineArb, stationArb, (tl, st) => {
        const entries = stationTimeline(tl, st);
        for (const t of ALL_TS) {
          const containing = entries.filter(
            (e) => e.from <= t && (e.until === null || t < e.until),
          );
          expect(containing.length).toBeLessThanOrEqual(1);
          const expected = containing.length === 1 ? containing[0].version.id : null;
          expect(selectRules(tl, st, t)?.id ?? null).toBe(expected);
          if (entries.length === 0 || t < entries[0].from) expect(containing).toHaveLength(0);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('entries are contiguous: from ascending, until = next from, last until null, no repeats in a row', () => {
    fc.assert(
      fc.property(timelineArb, stationArb, (tl, st) => {
        const entries = stationTimeline(tl, st);
        entries.forEach((e, i) => {
          const next = entries[i + 1];
          if (next === undefined) {
            expect(e.until).toBeNull();
          } else {
            expect(e.until).toBe(next.from);
            expect(next.from).toBeGreaterThan(e.from);
            expect(next.version.id).not.toBe(e.version.id);
          }
        });
      }),
      { numRuns: RUNS },
    );
  });
});
