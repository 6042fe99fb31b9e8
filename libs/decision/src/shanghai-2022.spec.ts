/**
 * The operator's real 2022 rules, pinned to the millisecond (all instants Asia/Shanghai):
 *   48 h window from 2022-05-30T00:00:00.000+08:00,
 *   72 h window from 2022-06-01T00:00:00.000+08:00,
 * each as a network version (one-code off) and a version for pilot lines 3, 6, 10, 16 (one-code on).
 * A negative result sampled at s counts while now < s + window, with the window of the version in
 * force at `now` (not at sampling time).
 */
import { decide, type Decision } from './decide';
import { selectRules } from './rules';
import {
  RULES_48H_FROM,
  RULES_72H_FROM,
  at,
  decisionInput,
  fresh,
  healthFacts,
  riderFacts,
  shanghai2022Timeline,
  station,
} from './testing/factories';

const timeline = shanghai2022Timeline();
const line3Station = station('S0312', ['3']);
const line2Station = station('S0205', ['2']);

const open: Decision = { outcome: 'open', reasons: [] };
const expired: Decision = { outcome: 'see-staff', reasons: ['TEST_EXPIRED'] };

/** Select the version in force at `now` for the station, then decide a green, authorized rider's tap. */
function tapAt(stationRef: typeof line3Station, sampled: string, now: string) {
  const rules = selectRules(timeline, stationRef, at(now));
  if (rules === null) throw new Error(`no rules in force at ${now}`);
  const credential = riderFacts({
    health: fresh(healthFacts({ colour: 'green', latestNegativeSampledAt: at(sampled) })),
  });
  return {
    version: rules.id,
    decision: decide(decisionInput({ rules, now: at(now), credential })),
  };
}

describe('2022 test-result window on a pilot line (line 3), selected by selectRules then decided', () => {
  it.each([
    // Sampled 2022-05-29 01:00: 48 h window ends 05-31 01:00, 72 h window ends 06-01 01:00.
    {
      name: 'sampled 05-29 01:00, at 05-31 00:59:59.999: last ms of the 48 h window, open',
      sampled: '2022-05-29T01:00:00.000+08:00',
      now: '2022-05-31T00:59:59.999+08:00',
      version: 'pilot-48h',
      expected: open,
    },
    {
      name: 'sampled 05-29 01:00, at 05-31 01:00:00.000: exactly 48 h, TEST_EXPIRED',
      sampled: '2022-05-29T01:00:00.000+08:00',
      now: '2022-05-31T01:00:00.000+08:00',
      version: 'pilot-48h',
      expected: expired,
    },
    {
      name: 'sampled 05-29 01:00, at 05-31 23:59: 48 h rules, window ended 05-31 01:00, TEST_EXPIRED',
      sampled: '2022-05-29T01:00:00.000+08:00',
      now: '2022-05-31T23:59:00.000+08:00',
      version: 'pilot-48h',
      expected: expired,
    },
    {
      name: 'sampled 05-29 01:00, at 06-01 00:00:00.000: 72 h rules now, window until 06-01 01:00, open',
      sampled: '2022-05-29T01:00:00.000+08:00',
      now: '2022-06-01T00:00:00.000+08:00',
      version: 'pilot-72h',
      expected: open,
    },
    {
      name: 'sampled 05-29 01:00, at 06-01 00:59:59.999: last ms of the 72 h window, open',
      sampled: '2022-05-29T01:00:00.000+08:00',
      now: '2022-06-01T00:59:59.999+08:00',
      version: 'pilot-72h',
      expected: open,
    },
    {
      name: 'sampled 05-29 01:00, at 06-01 01:00:00.000: exactly 72 h, TEST_EXPIRED',
      sampled: '2022-05-29T01:00:00.000+08:00',
      now: '2022-06-01T01:00:00.000+08:00',
      version: 'pilot-72h',
      expected: expired,
    },

    // Sampled 2022-05-30 08:00: its 48 h edge (06-01 08:00) falls after the 48 h rules end,
    // so under the rules in force it never expires before 06-02 08:00 (72 h).
    {
      name: 'sampled 05-30 08:00, at 05-31 23:59:59.999: last ms of the 48 h rules, 32 h old, open',
      sampled: '2022-05-30T08:00:00.000+08:00',
      now: '2022-05-31T23:59:59.999+08:00',
      version: 'pilot-48h',
      expected: open,
    },
    {
      name: 'sampled 05-30 08:00, at 06-01 07:59:59.999: 72 h rules, open',
      sampled: '2022-05-30T08:00:00.000+08:00',
      now: '2022-06-01T07:59:59.999+08:00',
      version: 'pilot-72h',
      expected: open,
    },
    {
      name: 'sampled 05-30 08:00, at 06-01 08:00:00.000: exactly 48 h old but 72 h rules apply, open',
      sampled: '2022-05-30T08:00:00.000+08:00',
      now: '2022-06-01T08:00:00.000+08:00',
      version: 'pilot-72h',
      expected: open,
    },
    {
      name: 'sampled 05-30 08:00, at 06-02 07:59:59.999: last ms of the 72 h window, open',
      sampled: '2022-05-30T08:00:00.000+08:00',
      now: '2022-06-02T07:59:59.999+08:00',
      version: 'pilot-72h',
      expected: open,
    },
    {
      name: 'sampled 05-30 08:00, at 06-02 08:00:00.000: exactly 72 h, TEST_EXPIRED',
      sampled: '2022-05-30T08:00:00.000+08:00',
      now: '2022-06-02T08:00:00.000+08:00',
      version: 'pilot-72h',
      expected: expired,
    },

    // A 48 h edge that is reached while the 48 h rules are in force.
    {
      name: 'sampled 05-29 12:00, at 05-31 11:59:59.999: last ms of the 48 h window, open',
      sampled: '2022-05-29T12:00:00.000+08:00',
      now: '2022-05-31T11:59:59.999+08:00',
      version: 'pilot-48h',
      expected: open,
    },
    {
      name: 'sampled 05-29 12:00, at 05-31 12:00:00.000: exactly 48 h, TEST_EXPIRED',
      sampled: '2022-05-29T12:00:00.000+08:00',
      now: '2022-05-31T12:00:00.000+08:00',
      version: 'pilot-48h',
      expected: expired,
    },
    {
      name: 'sampled 05-29 12:00, at 06-01 00:00:00.000: expired under 48 h, within 72 h (60 h old), open',
      sampled: '2022-05-29T12:00:00.000+08:00',
      now: '2022-06-01T00:00:00.000+08:00',
      version: 'pilot-72h',
      expected: open,
    },

    // The switch instant itself against the 72 h edge.
    {
      name: 'sampled 05-29 00:00:00.000, at the switch 06-01 00:00: exactly 72 h old, TEST_EXPIRED',
      sampled: '2022-05-29T00:00:00.000+08:00',
      now: '2022-06-01T00:00:00.000+08:00',
      version: 'pilot-72h',
      expected: expired,
    },
    {
      name: 'sampled 05-29 00:00:00.001, at the switch 06-01 00:00: 1 ms inside the 72 h window, open',
      sampled: '2022-05-29T00:00:00.001+08:00',
      now: '2022-06-01T00:00:00.000+08:00',
      version: 'pilot-72h',
      expected: open,
    },

    // The first instant of the 48 h rules.
    {
      name: 'sampled 05-28 00:00:00.001, at 05-30 00:00 (48 h rules begin): 1 ms inside, open',
      sampled: '2022-05-28T00:00:00.001+08:00',
      now: '2022-05-30T00:00:00.000+08:00',
      version: 'pilot-48h',
      expected: open,
    },
    {
      name: 'sampled 05-28 00:00:00.000, at 05-30 00:00 (48 h rules begin): exactly 48 h, TEST_EXPIRED',
      sampled: '2022-05-28T00:00:00.000+08:00',
      now: '2022-05-30T00:00:00.000+08:00',
      version: 'pilot-48h',
      expected: expired,
    },
  ])('$name', ({ sampled, now, version, expected }) => {
    const result = tapAt(line3Station, sampled, now);
    expect(result.version).toBe(version);
    expect(result.decision).toEqual(expected);
  });

  it('off the pilot lines (line 2) a rider with a valid test gets ONE_CODE_NOT_ENABLED', () => {
    const result = tapAt(
      line2Station,
      '2022-05-31T20:00:00.000+08:00',
      '2022-06-01T00:00:00.000+08:00',
    );
    expect(result.version).toBe('net-72h');
    expect(result.decision).toEqual({ outcome: 'see-staff', reasons: ['ONE_CODE_NOT_ENABLED'] });
  });
});

describe('the 2022 rule switch (selectRules)', () => {
  it.each([
    {
      name: '05-29 23:59:59.999, pilot line: before any rules, null',
      st: line3Station,
      now: '2022-05-29T23:59:59.999+08:00',
      id: null,
    },
    {
      name: '05-29 23:59:59.999, line 2: before any rules, null',
      st: line2Station,
      now: '2022-05-29T23:59:59.999+08:00',
      id: null,
    },
    {
      name: '05-30 00:00:00.000, pilot line: 48 h version takes effect',
      st: line3Station,
      now: '2022-05-30T00:00:00.000+08:00',
      id: 'pilot-48h',
    },
    {
      name: '05-30 00:00:00.000, line 2: 48 h network version',
      st: line2Station,
      now: '2022-05-30T00:00:00.000+08:00',
      id: 'net-48h',
    },
    {
      name: '05-31 23:59:59.999, pilot line: still 48 h',
      st: line3Station,
      now: '2022-05-31T23:59:59.999+08:00',
      id: 'pilot-48h',
    },
    {
      name: '05-31 23:59:59.999, line 2: still 48 h',
      st: line2Station,
      now: '2022-05-31T23:59:59.999+08:00',
      id: 'net-48h',
    },
    {
      name: '06-01 00:00:00.000, pilot line: 72 h version takes effect',
      st: line3Station,
      now: '2022-06-01T00:00:00.000+08:00',
      id: 'pilot-72h',
    },
    {
      name: '06-01 00:00:00.000, line 2: 72 h network version',
      st: line2Station,
      now: '2022-06-01T00:00:00.000+08:00',
      id: 'net-72h',
    },
  ])('$name', ({ st, now, id }) => {
    expect(selectRules(timeline, st, at(now))?.id ?? null).toBe(id);
  });

  it('the switch instants are the Shanghai midnights, i.e. 16:00 UTC the day before', () => {
    expect(new Date(RULES_48H_FROM).toISOString()).toBe('2022-05-29T16:00:00.000Z');
    expect(new Date(RULES_72H_FROM).toISOString()).toBe('2022-05-31T16:00:00.000Z');
  });

  it('window hours and one-code flags of the versions in force', () => {
    const t = at('2022-06-01T00:00:00.000+08:00');
    expect(selectRules(timeline, line3Station, t - 1)).toMatchObject({
      testWindowHours: 48,
      oneCodeEnabled: true,
    });
    expect(selectRules(timeline, line3Station, t)).toMatchObject({
      testWindowHours: 72,
      oneCodeEnabled: true,
    });
    expect(selectRules(timeline, line2Station, t - 1)).toMatchObject({
      testWindowHours: 48,
      oneCodeEnabled: false,
    });
    expect(selectRules(timeline, line2Station, t)).toMatchObject({
      testWindowHours: 72,
      oneCodeEnabled: false,
    });
  });
});
