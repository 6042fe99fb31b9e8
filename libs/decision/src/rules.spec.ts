import { scopeRank, selectRules, stationTimeline, type RuleVersion } from './rules';
import {
  RULES_48H_FROM,
  RULES_72H_FROM,
  at,
  atStations,
  network,
  onLines,
  ruleVersion,
  shanghai2022Timeline,
  station,
} from './testing/factories';

const timeline2022 = shanghai2022Timeline();
const T72 = RULES_72H_FROM;

describe('scopeRank', () => {
  it.each([
    { name: 'network covers any station, rank 0', scope: network(), st: station('X', []), rank: 0 },
    {
      name: 'a line scope covers a station on one of its lines, rank 1',
      scope: onLines('3', '6'),
      st: station('S', ['6']),
      rank: 1,
    },
    {
      name: 'a line scope does not cover a station on other lines',
      scope: onLines('3'),
      st: station('S', ['2']),
      rank: null,
    },
    {
      name: 'a line scope never covers an unknown station (no lines)',
      scope: onLines('3'),
      st: station('S', []),
      rank: null,
    },
    {
      name: 'a station scope covers a listed station, rank 2',
      scope: atStations('S1', 'S2'),
      st: station('S2', ['9']),
      rank: 2,
    },
    {
      name: 'a station scope does not cover others',
      scope: atStations('S1'),
      st: station('S2', ['9']),
      rank: null,
    },
  ])('$name', ({ scope, st, rank }) => {
    expect(scopeRank(scope, st)).toBe(rank);
  });
});

describe('selectRules: scope', () => {
  const pilotStationVersion = ruleVersion({
    id: 'S0312-72h',
    effectiveFrom: T72,
    scope: atStations('S0312'),
    testWindowHours: 24,
  });

  it.each([
    {
      name: 'a station on pilot line 3 gets the line version (one-code enabled)',
      tl: timeline2022,
      st: station('S0312', ['3']),
      t: T72,
      id: 'pilot-72h',
    },
    {
      name: 'a station on line 2 gets the network version (one-code not enabled)',
      tl: timeline2022,
      st: station('S0205', ['2']),
      t: T72,
      id: 'net-72h',
    },
    {
      name: 'an interchange station on lines 2 and 10 is covered by the pilot line version',
      tl: timeline2022,
      st: station('S1002', ['2', '10']),
      t: T72,
      id: 'pilot-72h',
    },
    {
      name: 'a station unknown to the gateway (no lines) gets the network version',
      tl: timeline2022,
      st: station('NEW01', []),
      t: T72,
      id: 'net-72h',
    },
    {
      name: 'a station-scope version beats the line version at the same effectiveFrom',
      tl: [...timeline2022, pilotStationVersion],
      st: station('S0312', ['3']),
      t: T72,
      id: 'S0312-72h',
    },
    {
      name: 'the station-scope version wins the tie whatever its position in the timeline',
      tl: [pilotStationVersion, ...timeline2022],
      st: station('S0312', ['3']),
      t: T72,
      id: 'S0312-72h',
    },
    {
      name: 'another station on the same line keeps the line version',
      tl: [...timeline2022, pilotStationVersion],
      st: station('S0320', ['3']),
      t: T72,
      id: 'pilot-72h',
    },
    {
      name: 'a station-scope version is not in force before its effectiveFrom',
      tl: [...timeline2022, pilotStationVersion],
      st: station('S0312', ['3']),
      t: T72 - 1,
      id: 'pilot-48h',
    },
    {
      name: 'recency first: a LATER network version beats an EARLIER line version',
      tl: [
        ruleVersion({ id: 'line3-early', effectiveFrom: RULES_48H_FROM, scope: onLines('3') }),
        ruleVersion({ id: 'net-late', effectiveFrom: T72, scope: network() }),
      ],
      st: station('S0312', ['3']),
      t: T72,
      id: 'net-late',
    },
    {
      name: 'recency first: a later network version overrides the 2022 pilot line version',
      tl: [
        ...timeline2022,
        ruleVersion({
          id: 'net-0615',
          effectiveFrom: at('2022-06-15T00:00:00.000+08:00'),
          oneCodeEnabled: false,
        }),
      ],
      st: station('S0312', ['3']),
      t: at('2022-06-15T00:00:00.000+08:00'),
      id: 'net-0615',
    },
    {
      name: '... and until then the line version still governs',
      tl: [
        ...timeline2022,
        ruleVersion({ id: 'net-0615', effectiveFrom: at('2022-06-15T00:00:00.000+08:00') }),
      ],
      st: station('S0312', ['3']),
      t: at('2022-06-14T23:59:59.999+08:00'),
      id: 'pilot-72h',
    },
    {
      name: 'a later version for other lines does not affect this station',
      tl: [
        ...timeline2022,
        ruleVersion({
          id: 'line16-0610',
          effectiveFrom: at('2022-06-10T00:00:00.000+08:00'),
          scope: onLines('16'),
        }),
      ],
      st: station('S0312', ['3']),
      t: at('2022-06-11T00:00:00.000+08:00'),
      id: 'pilot-72h',
    },
    {
      name: 'no version covers the station: null (a line version only, station on another line)',
      tl: [ruleVersion({ id: 'line3', scope: onLines('3') })],
      st: station('S0205', ['2']),
      t: T72,
      id: null,
    },
    {
      name: 'empty timeline: null',
      tl: [] as RuleVersion[],
      st: station('S0312', ['3']),
      t: T72,
      id: null,
    },
  ])('$name', ({ tl, st, t, id }) => {
    expect(selectRules(tl, st, t)?.id ?? null).toBe(id);
  });
});

describe('stationTimeline', () => {
  it('pilot-line station, 2022: 48 h from 05-30 00:00 until 06-01 00:00 (exclusive), then 72 h open-ended', () => {
    expect(stationTimeline(timeline2022, station('S0312', ['3']))).toEqual([
      {
        version: expect.objectContaining({ id: 'pilot-48h' }),
        from: RULES_48H_FROM,
        until: RULES_72H_FROM,
      },
      { version: expect.objectContaining({ id: 'pilot-72h' }), from: RULES_72H_FROM, until: null },
    ]);
  });

  it('line 2 station, 2022: the network versions with the same bounds', () => {
    const entries = stationTimeline(timeline2022, station('S0205', ['2']));
    expect(entries.map((e) => [e.version.id, e.from, e.until])).toEqual([
      ['net-48h', RULES_48H_FROM, RULES_72H_FROM],
      ['net-72h', RULES_72H_FROM, null],
    ]);
  });

  it('bounds: from is inclusive and until exclusive, agreeing with selectRules', () => {
    const st = station('S0312', ['3']);
    const [first, second] = stationTimeline(timeline2022, st);
    expect(selectRules(timeline2022, st, first.from)?.id).toBe(first.version.id);
    expect(selectRules(timeline2022, st, first.from - 1)).toBeNull();
    expect(selectRules(timeline2022, st, first.until! - 1)?.id).toBe(first.version.id);
    expect(selectRules(timeline2022, st, first.until!)?.id).toBe(second.version.id);
  });

  it('versions that do not cover the station add no boundary', () => {
    const tl = [
      ...timeline2022,
      ruleVersion({
        id: 'line16-0610',
        effectiveFrom: at('2022-06-10T00:00:00.000+08:00'),
        scope: onLines('16'),
      }),
      ruleVersion({
        id: 'S1601-0612',
        effectiveFrom: at('2022-06-12T00:00:00.000+08:00'),
        scope: atStations('S1601'),
      }),
    ];
    const entries = stationTimeline(tl, station('S0312', ['3']));
    expect(entries.map((e) => [e.version.id, e.until])).toEqual([
      ['pilot-48h', RULES_72H_FROM],
      ['pilot-72h', null],
    ]);
  });

  it('a later station-scope version closes the line version at its effectiveFrom', () => {
    const from = at('2022-06-12T00:00:00.000+08:00');
    const tl = [
      ...timeline2022,
      ruleVersion({ id: 'S0312-0612', effectiveFrom: from, scope: atStations('S0312') }),
    ];
    const entries = stationTimeline(tl, station('S0312', ['3']));
    expect(entries.map((e) => [e.version.id, e.from, e.until])).toEqual([
      ['pilot-48h', RULES_48H_FROM, RULES_72H_FROM],
      ['pilot-72h', RULES_72H_FROM, from],
      ['S0312-0612', from, null],
    ]);
  });

  it('a version losing a same-instant tie never appears', () => {
    const tl = [
      ...timeline2022,
      ruleVersion({ id: 'S0312-72h', effectiveFrom: T72, scope: atStations('S0312') }),
    ];
    expect(stationTimeline(tl, station('S0312', ['3'])).map((e) => e.version.id)).toEqual([
      'pilot-48h',
      'S0312-72h',
    ]);
  });

  it('consecutive selections of the same version are collapsed into one entry', () => {
    // With recency-first selection the winner at each boundary has effectiveFrom equal to that
    // boundary, so only a repeated id (the same version listed again later) can select the same
    // version twice in a row; it must not split the entry.
    const v = ruleVersion({ id: 'same', effectiveFrom: RULES_48H_FROM });
    const relisted = { ...v, effectiveFrom: RULES_72H_FROM };
    const entries = stationTimeline([v, relisted, { ...v }], station('S0312', ['3']));
    expect(entries.map((e) => [e.version.id, e.from, e.until])).toEqual([
      ['same', RULES_48H_FROM, null],
    ]);
  });

  it('a station no version covers has an empty timeline', () => {
    expect(
      stationTimeline([ruleVersion({ scope: onLines('3') })], station('S0205', ['2'])),
    ).toEqual([]);
    expect(stationTimeline([], station('S0205', ['2']))).toEqual([]);
  });
});
