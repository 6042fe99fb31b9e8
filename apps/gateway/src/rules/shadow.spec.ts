import fc from 'fast-check';
import { decide, selectRules, type CredentialFacts, type RuleVersion } from '@app/decision';
import {
  at,
  fresh,
  healthFacts,
  hours,
  ruleVersion,
} from '../../../../libs/decision/src/testing/factories';
import { pendingVersions, shadowDecide, shadowKey, summarize, type LiveTap } from './shadow';

const S0312 = { stationId: 'S0312', lines: ['2', '3', '4'] };
const NOW = at('2022-05-31T12:00:00+08:00');

const network = ruleVersion({
  id: 'net',
  effectiveFrom: at('2022-05-30T00:00:00+08:00'),
  oneCodeEnabled: false,
});
const pilot48 = ruleVersion({
  id: 'pilot48',
  effectiveFrom: at('2022-05-30T00:00:00+08:00'),
  scope: { kind: 'lines', lines: ['3'] },
  testWindowHours: 48,
});
const pilot72 = ruleVersion({
  id: 'pilot72',
  effectiveFrom: at('2022-06-01T00:00:00+08:00'),
  scope: { kind: 'lines', lines: ['3'] },
  testWindowHours: 72,
});
const otherLine = ruleVersion({
  id: 'line1',
  effectiveFrom: at('2022-06-01T00:00:00+08:00'),
  scope: { kind: 'lines', lines: ['1'] },
});
const shadowedByStation = ruleVersion({
  id: 'net-later',
  effectiveFrom: at('2022-06-02T00:00:00+08:00'),
});
const stationSame = ruleVersion({
  id: 'station-same',
  effectiveFrom: at('2022-06-02T00:00:00+08:00'),
  scope: { kind: 'stations', stations: ['S0312'] },
});

describe('pendingVersions', () => {
  it.each<[string, RuleVersion[], number, string[]]>([
    ['nothing scheduled', [network, pilot48], NOW, []],
    ['the 72 h pilot before 6/1', [network, pilot48, pilot72, otherLine], NOW, ['pilot72']],
    ['not once in force', [network, pilot48, pilot72], at('2022-06-01T00:00:00+08:00'), []],
    [
      'a network version a station version beats at the same instant',
      [network, pilot48, shadowedByStation, stationSame],
      NOW,
      ['station-same'],
    ],
  ])('%s', (_name, timeline, now, ids) => {
    expect(pendingVersions(timeline, S0312, now).map((v) => v.id)).toEqual(ids);
  });

  it('returns exactly the future versions that will govern the station (property)', () => {
    const version = fc.record({
      day: fc.integer({ min: 1, max: 9 }),
      kind: fc.constantFrom('network', 'line3', 'line1', 'station'),
    });
    fc.assert(
      fc.property(
        fc.array(version, { maxLength: 10 }),
        fc.integer({ min: 0, max: 10 }),
        (vs, d) => {
          const timeline = vs.map((v, i) =>
            ruleVersion({
              id: `v${i}`,
              effectiveFrom: at(`2022-06-0${v.day}T00:00:00+08:00`),
              scope:
                v.kind === 'network'
                  ? { kind: 'network' }
                  : v.kind === 'station'
                    ? { kind: 'stations', stations: ['S0312'] }
                    : { kind: 'lines', lines: [v.kind === 'line3' ? '3' : '1'] },
            }),
          );
          const now = at('2022-06-01T00:00:00+08:00') + hours(24 * d) - 1;
          const pending = new Set(pendingVersions(timeline, S0312, now).map((v) => v.id));
          const governors = new Set(
            timeline
              .filter((v) => v.effectiveFrom > now)
              .map((v) => selectRules(timeline, S0312, v.effectiveFrom))
              .filter((g) => g !== null && g.effectiveFrom > now)
              .map((g) => g?.id),
          );
          // And each of them is what a tap right at its instant is decided by.
          for (const v of pendingVersions(timeline, S0312, now))
            expect(selectRules(timeline, S0312, v.effectiveFrom)?.id).toBe(v.id);
          expect(pending).toEqual(governors);
        },
      ),
    );
  });
});

describe('shadowDecide', () => {
  const rider = (sampledHoursAgo: number): CredentialFacts => ({
    kind: 'rider',
    authorized: true,
    health: fresh(healthFacts({ latestNegativeSampledAt: NOW - hours(sampledHoursAgo) })),
  });
  const live = (credential: CredentialFacts, rules = pilot48): LiveTap => ({
    mode: 'entry',
    temperatureC: 36.5,
    credential,
    rules,
    now: NOW,
  });

  it.each<[string, LiveTap, RuleVersion, string, string[]]>([
    ['a 50 h old test, live 48 h -> 72 h', live(rider(50)), pilot72, 'open', []],
    ['a 20 h old test under both', live(rider(20)), pilot72, 'open', []],
    ['a 80 h old test under both', live(rider(80)), pilot72, 'see-staff', ['TEST_EXPIRED']],
    [
      'one-code enabled where live needed no health lookup',
      live({ kind: 'rider', authorized: true, health: null }, network),
      pilot72,
      'not-evaluable',
      [],
    ],
    [
      'an unauthorized rider where one-code gets enabled',
      live({ kind: 'rider', authorized: false, health: null }),
      pilot72,
      'see-staff',
      ['NOT_AUTHORIZED'],
    ],
    [
      'a venue check',
      live({ kind: 'venue-check' }),
      pilot72,
      'see-staff',
      ['VENUE_CHECK_REQUIRED'],
    ],
  ])('%s', (_name, tap, pending, outcome, reasons) => {
    expect(shadowDecide(tap, pending)).toEqual({ outcome, reasons });
  });

  it('decides exactly as the engine would whenever evaluable (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.option(fc.double({ min: 35, max: 40, noNaN: true }), { nil: null }),
        fc.boolean(),
        (ago, temperatureC, liveOneCode) => {
          const liveRules = ruleVersion({ ...pilot48, oneCodeEnabled: liveOneCode });
          const tap = { ...live(rider(ago), liveRules), temperatureC };
          const expected = decide({ ...tap, rules: pilot72 });
          expect(shadowDecide(tap, pilot72)).toEqual(expected);
        },
      ),
    );
  });
});

describe('summarize', () => {
  it('totals per station, counting changes and the not-evaluable bucket apart', () => {
    const open = { outcome: 'open' as const, reasons: [] as [] };
    const expired = { outcome: 'see-staff' as const, reasons: ['TEST_EXPIRED' as const] };
    const rows = [
      { ...shadowKey('v', 'S0312', expired, open), taps: 7 },
      { ...shadowKey('v', 'S0312', open, open), taps: 90 },
      { ...shadowKey('v', 'S0312', open, { outcome: 'not-evaluable', reasons: [] }), taps: 3 },
      { ...shadowKey('v', 'S0105', open, open), taps: 5 },
    ];
    expect(summarize(rows)).toEqual([
      {
        stationId: 'S0105',
        evaluated: 5,
        unchanged: 5,
        changed: 0,
        outcomeChanged: 0,
        notEvaluable: 0,
        transitions: [{ from: open, to: open, taps: 5 }],
      },
      {
        stationId: 'S0312',
        evaluated: 100,
        unchanged: 90,
        changed: 7,
        outcomeChanged: 7,
        notEvaluable: 3,
        transitions: [
          { from: open, to: open, taps: 90 },
          { from: expired, to: open, taps: 7 },
          { from: open, to: { outcome: 'not-evaluable', reasons: [] }, taps: 3 },
        ],
      },
    ]);
  });
});
