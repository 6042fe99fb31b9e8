import fc from 'fast-check';
import { selectRules, type RuleVersion, type Scope, type StationRef } from '@app/decision';
import { at, ruleVersion } from '../../../../libs/decision/src/testing/factories';
import { checkDraft, settingsOf, type ScheduleInput } from './rule-draft';

const STATIONS: StationRef[] = [
  { stationId: 'S0105', lines: ['1', '2', '8'] },
  { stationId: 'S0312', lines: ['2', '3', '4'] },
  { stationId: 'S0601', lines: ['6', '8', '11'] },
  { stationId: 'S1005', lines: ['2', '10', '17'] },
  { stationId: 'S1601', lines: ['2', '7', '16', '18'] },
];
const NOW = at('2022-05-20T12:00:00+08:00');
const PILOT = ruleVersion({
  id: 'rv-pilot',
  effectiveFrom: at('2022-05-30T00:00:00+08:00'),
  scope: { kind: 'lines', lines: ['3', '6', '10', '16'] },
  testWindowHours: 48,
  temperatureRequired: true,
  healthServiceFallback: { mode: 'staff', timeoutMs: 250 },
});
const ctx = (active: RuleVersion[] = [PILOT], now = NOW) => ({ now, stations: STATIONS, active });

const input = (over: Partial<ScheduleInput> = {}): ScheduleInput => ({
  effectiveFrom: '2022-06-01T00:00:00+08:00',
  scope: { kind: 'stations', stations: ['S0312'] },
  testWindowHours: 72,
  oneCodeEnabled: true,
  reason: 'test',
  ...over,
});

const refusals = (over: Partial<ScheduleInput>, active?: RuleVersion[]) => {
  const r = checkDraft(input(over), ctx(active));
  return r.ok ? [] : r.refusals;
};

describe('checkDraft', () => {
  it('accepts a valid version and fills the defaults', () => {
    const r = checkDraft(input({ scope: { kind: 'lines', lines: ['6', '3', '3'] } }), ctx());
    expect(r).toEqual({
      ok: true,
      draft: {
        effectiveFrom: at('2022-06-01T00:00:00+08:00'),
        scope: { kind: 'lines', lines: ['3', '6'] },
        reason: 'test',
        settings: {
          testWindowHours: 72,
          allowedColours: ['green'],
          temperatureThresholdC: 37.3,
          temperatureRequired: true,
          oneCodeEnabled: true,
          dayTicketClearanceMinutes: 15,
          healthServiceFallback: { mode: 'staff', timeoutMs: 250 },
        },
      },
    });
  });

  it.each<[string, Partial<ScheduleInput>, RegExp]>([
    ['no offset', { effectiveFrom: '2022-06-01T00:00' }, /ISO-8601 instant with an offset/],
    ['an impossible date', { effectiveFrom: '2022-06-31T00:00+08:00' }, /with an offset/],
    ['the past', { effectiveFrom: '2022-05-20T11:59:59+08:00' }, /is in the past/],
    ['exactly now', { effectiveFrom: '2022-05-20T12:00:00+08:00' }, /is in the past/],
    ['a zero window', { testWindowHours: 0 }, /positive number of hours/],
    ['a negative window', { testWindowHours: -24 }, /positive number of hours/],
    ['a huge window', { testWindowHours: 721 }, /positive number of hours/],
    ['a threshold of 34.9', { temperatureThresholdC: 34.9 }, /between 35 and 42 °C, got 34.9/],
    ['a threshold of 42.1', { temperatureThresholdC: 42.1 }, /between 35 and 42 °C, got 42.1/],
    ['an unknown station', { scope: { kind: 'stations', stations: ['S9999'] } }, /S9999/],
    ['an unknown line', { scope: { kind: 'lines', lines: ['3', '99'] } }, /unknown line\(s\): 99/],
    ['an empty line list', { scope: { kind: 'lines', lines: [] } }, /at least one line/],
    ['an empty station list', { scope: { kind: 'stations' } }, /at least one station/],
    ['a blank reason', { reason: '  ' }, /reason/],
    ['a zero clearance', { dayTicketClearanceMinutes: 0 }, /dayTicketClearanceMinutes/],
    [
      'a cached fallback without an age',
      { healthServiceFallback: { mode: 'cached', timeoutMs: 250 } },
      /maxAgeMinutes/,
    ],
    [
      'a fallback timeout of 10 s',
      { healthServiceFallback: { mode: 'staff', timeoutMs: 10_000 } },
      /timeoutMs/,
    ],
  ])('refuses %s', (_name, over, message) => {
    const r = refusals(over);
    expect(r.length).toBeGreaterThan(0);
    expect(r.join('\n')).toMatch(message);
  });

  it.each([35, 42, 37.3])('accepts a threshold of %s', (t) => {
    expect(refusals({ temperatureThresholdC: t })).toEqual([]);
  });

  it('reports every refusal at once', () => {
    expect(
      refusals({ testWindowHours: 0, temperatureThresholdC: 50, effectiveFrom: 'tomorrow' }),
    ).toHaveLength(3);
  });

  it('refuses a version identical to the one in force for its scope at that instant', () => {
    const r = refusals({
      effectiveFrom: '2022-06-01T00:00:00+08:00',
      scope: { kind: 'lines', lines: ['16', '10', '6', '3'] },
      testWindowHours: 48,
      temperatureThresholdC: 37.3,
    });
    expect(r).toEqual([
      'it would overlap an identical version: rv-pilot already applies the same scope and settings at 2022-06-01T00:00:00.000+08:00',
    ]);
  });

  it('accepts the same settings for a different scope, or other settings for the same scope', () => {
    expect(refusals({ scope: { kind: 'lines', lines: ['3'] }, testWindowHours: 48 })).toEqual([]);
    expect(
      refusals({ scope: { kind: 'lines', lines: ['3', '6', '10', '16'] }, testWindowHours: 72 }),
    ).toEqual([]);
  });

  it('accepts re-issuing a station version after a network version overrode it', () => {
    const station = ruleVersion({
      id: 'rv-station',
      effectiveFrom: at('2022-05-25T00:00:00+08:00'),
      scope: { kind: 'stations', stations: ['S0312'] },
      testWindowHours: 72,
      temperatureRequired: true,
      healthServiceFallback: { mode: 'staff', timeoutMs: 250 },
    });
    const network = ruleVersion({
      id: 'rv-network',
      effectiveFrom: at('2022-05-28T00:00:00+08:00'),
      testWindowHours: 24,
    });
    expect(refusals({}, [station])).toHaveLength(1);
    expect(refusals({}, [station, network])).toEqual([]);
  });

  it('refuses a second version with the same scope at the same instant', () => {
    const twin = ruleVersion({
      id: 'rv-twin',
      effectiveFrom: at('2022-06-01T00:00:00+08:00'),
      scope: { kind: 'stations', stations: ['S0312'] },
      testWindowHours: 24,
    });
    expect(refusals({}, [twin])).toEqual([
      'version rv-twin already takes effect for the same scope at 2022-06-01T00:00:00.000+08:00: cancel it first',
    ]);
  });

  it('refuses as identical only a version that would change no station at any instant (property)', () => {
    const settings = fc.record({
      testWindowHours: fc.constantFrom(48, 72),
      oneCodeEnabled: fc.boolean(),
    });
    const scope = fc.oneof(
      fc.constant({ kind: 'network' as const }),
      fc.subarray(['2', '3', '6', '8'], { minLength: 1 }).map((lines) => ({
        kind: 'lines' as const,
        lines,
      })),
      fc.subarray(['S0105', 'S0312', 'S0601'], { minLength: 1 }).map((stations) => ({
        kind: 'stations' as const,
        stations,
      })),
    );
    const version = fc.record({ day: fc.integer({ min: 21, max: 26 }), scope, settings });
    const build = (v: { day: number; scope: Scope; settings: object }, id: string) =>
      ruleVersion({
        id,
        effectiveFrom: at(`2022-05-${v.day}T00:00:00+08:00`),
        scope: v.scope,
        temperatureRequired: true,
        healthServiceFallback: { mode: 'staff', timeoutMs: 250 },
        ...v.settings,
      });
    let identicalSeen = 0;
    fc.assert(
      fc.property(fc.array(version, { maxLength: 8 }), version, (existing, next) => {
        const active = existing.map((v, i) => build(v, `v${i}`));
        const r = checkDraft(
          input({
            effectiveFrom: `2022-05-${next.day}T00:00:00+08:00`,
            scope: next.scope,
            ...next.settings,
          }),
          ctx(active),
        );
        if (r.ok || !/identical version/.test(r.refusals.join())) return;
        identicalSeen++;
        const withDraft = [...active, build(next, 'zz-draft')];
        const instants = [...withDraft.map((v) => v.effectiveFrom)];
        for (const station of [...STATIONS, { stationId: 'S-unrecorded', lines: [] }])
          for (const t of instants) {
            const before = selectRules(active, station, t);
            const after = selectRules(withDraft, station, t);
            expect(after && settingsOf(after)).toEqual(before && settingsOf(before));
          }
      }),
      { numRuns: 500 },
    );
    expect(identicalSeen).toBeGreaterThan(0);
  });
});
