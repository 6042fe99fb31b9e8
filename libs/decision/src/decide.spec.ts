import { REASON_OUTCOME } from '@app/protocol';
import {
  decide,
  needsHealthLookup,
  testReason,
  testStanding,
  testWindowEndsAt,
  type Decision,
  type DecisionInput,
} from './decide';
import {
  DEFAULT_NOW,
  cached,
  decisionInput,
  fresh,
  healthFacts,
  hours,
  minutes,
  riderFacts,
  ruleVersion,
  unavailable,
} from './testing/factories';

const open: Decision = { outcome: 'open', reasons: [] };
const staff = (...reasons: Extract<Decision, { outcome: 'see-staff' }>['reasons']): Decision => ({
  outcome: 'see-staff',
  reasons,
});
const deny = (...reasons: Extract<Decision, { outcome: 'deny' }>['reasons']): Decision => ({
  outcome: 'deny',
  reasons,
});

/** A rider whose fresh lookup returns these facts. */
const riderWith = (facts: Parameters<typeof healthFacts>[0]) =>
  riderFacts({ health: fresh(healthFacts(facts)) });

const cachedFallback = (maxAgeMinutes: number) =>
  ruleVersion({ healthServiceFallback: { mode: 'cached', timeoutMs: 300, maxAgeMinutes } });

interface Row {
  name: string;
  input: Partial<DecisionInput>;
  expected: Decision;
}

const entryCases: Row[] = [
  // The happy path and its temperature edges
  { name: 'authorized rider, green, test in window, 36.6 °C: open', input: {}, expected: open },
  {
    name: '37.29 °C is below the 37.3 threshold: open',
    input: { temperatureC: 37.29 },
    expected: open,
  },
  {
    name: 'exactly 37.3 °C is at the threshold: TEMPERATURE_HIGH',
    input: { temperatureC: 37.3 },
    expected: staff('TEMPERATURE_HIGH'),
  },
  {
    name: '38.5 °C: TEMPERATURE_HIGH',
    input: { temperatureC: 38.5 },
    expected: staff('TEMPERATURE_HIGH'),
  },
  {
    name: 'the threshold is the operator’s: 37.1 °C under a 37.0 threshold is high',
    input: { temperatureC: 37.1, rules: ruleVersion({ temperatureThresholdC: 37.0 }) },
    expected: staff('TEMPERATURE_HIGH'),
  },
  {
    name: 'no reading while a reading is not required: open',
    input: { temperatureC: null, rules: ruleVersion({ temperatureRequired: false }) },
    expected: open,
  },
  {
    name: 'no reading while a reading is required: TEMPERATURE_MISSING',
    input: { temperatureC: null, rules: ruleVersion({ temperatureRequired: true }) },
    expected: staff('TEMPERATURE_MISSING'),
  },
  {
    name: 'a reading present while required: open',
    input: { temperatureC: 36.2, rules: ruleVersion({ temperatureRequired: true }) },
    expected: open,
  },

  // Health code colour
  {
    name: 'yellow code: HEALTH_CODE_NOT_GREEN',
    input: { credential: riderWith({ colour: 'yellow' }) },
    expected: staff('HEALTH_CODE_NOT_GREEN'),
  },
  {
    name: 'red code: HEALTH_CODE_NOT_GREEN',
    input: { credential: riderWith({ colour: 'red' }) },
    expected: staff('HEALTH_CODE_NOT_GREEN'),
  },
  {
    name: 'the passing colours are the operator’s: yellow opens when yellow is allowed',
    input: {
      credential: riderWith({ colour: 'yellow' }),
      rules: ruleVersion({ allowedColours: ['green', 'yellow'] }),
    },
    expected: open,
  },

  // Nucleic-acid test window (72 h by default; end exclusive)
  {
    name: 'no negative result on record: TEST_MISSING',
    input: { credential: riderWith({ latestNegativeSampledAt: null }) },
    expected: staff('TEST_MISSING'),
  },
  {
    name: 'sampled 72 h minus 1 ms ago: still in the window, open',
    input: { credential: riderWith({ latestNegativeSampledAt: DEFAULT_NOW - hours(72) + 1 }) },
    expected: open,
  },
  {
    name: 'sampled exactly 72 h ago: the window end is exclusive, TEST_EXPIRED',
    input: { credential: riderWith({ latestNegativeSampledAt: DEFAULT_NOW - hours(72) }) },
    expected: staff('TEST_EXPIRED'),
  },
  {
    name: 'sampled exactly now: the window start is inclusive, open',
    input: { credential: riderWith({ latestNegativeSampledAt: DEFAULT_NOW }) },
    expected: open,
  },
  {
    name: 'sampled 1 ms after now (authority clock ahead): does not count yet, TEST_MISSING',
    input: { credential: riderWith({ latestNegativeSampledAt: DEFAULT_NOW + 1 }) },
    expected: staff('TEST_MISSING'),
  },
  {
    name: 'the window is the rule version’s: 50 h old under 48 h rules is TEST_EXPIRED',
    input: {
      credential: riderWith({ latestNegativeSampledAt: DEFAULT_NOW - hours(50) }),
      rules: ruleVersion({ testWindowHours: 48 }),
    },
    expected: staff('TEST_EXPIRED'),
  },

  // Authorization and one-code enablement
  {
    name: 'rider has not authorized (or revoked) health linkage: NOT_AUTHORIZED',
    input: { credential: riderFacts({ authorized: false, health: null }) },
    expected: staff('NOT_AUTHORIZED'),
  },
  {
    name: 'unauthorized rider with a high reading: NOT_AUTHORIZED then TEMPERATURE_HIGH',
    input: { credential: riderFacts({ authorized: false, health: null }), temperatureC: 37.8 },
    expected: staff('NOT_AUTHORIZED', 'TEMPERATURE_HIGH'),
  },
  {
    name: 'one-code not enabled under the version in force: ONE_CODE_NOT_ENABLED, health not consulted',
    input: {
      credential: riderWith({ colour: 'red', latestNegativeSampledAt: null }),
      rules: ruleVersion({ oneCodeEnabled: false }),
    },
    expected: staff('ONE_CODE_NOT_ENABLED'),
  },
  {
    name: 'one-code not enabled and a high reading: both reported',
    input: { temperatureC: 38, rules: ruleVersion({ oneCodeEnabled: false }) },
    expected: staff('ONE_CODE_NOT_ENABLED', 'TEMPERATURE_HIGH'),
  },

  // Media that go to staff by themselves
  {
    name: 'plain card, single-journey, companion ticket or uncleared day ticket: VENUE_CHECK_REQUIRED',
    input: { credential: { kind: 'venue-check' } },
    expected: staff('VENUE_CHECK_REQUIRED'),
  },
  {
    name: 'venue check with a required reading missing: both reported',
    input: {
      credential: { kind: 'venue-check' },
      temperatureC: null,
      rules: ruleVersion({ temperatureRequired: true }),
    },
    expected: staff('VENUE_CHECK_REQUIRED', 'TEMPERATURE_MISSING'),
  },
  {
    name: 'paper offline code at an entry gate: OFFLINE_CODE_NEEDS_STAFF',
    input: { credential: { kind: 'offline-code' } },
    expected: staff('OFFLINE_CODE_NEEDS_STAFF'),
  },

  // Health-code service unreachable
  {
    name: 'lookup unavailable: HEALTH_SERVICE_UNAVAILABLE',
    input: { credential: riderFacts({ health: unavailable() }) },
    expected: staff('HEALTH_SERVICE_UNAVAILABLE'),
  },
  {
    name: 'authorized rider but no lookup was made (null): HEALTH_SERVICE_UNAVAILABLE',
    input: { credential: riderFacts({ health: null }) },
    expected: staff('HEALTH_SERVICE_UNAVAILABLE'),
  },
  {
    name: 'cached lookup under a staff fallback is never used: HEALTH_SERVICE_UNAVAILABLE',
    input: { credential: riderFacts({ health: cached(DEFAULT_NOW - minutes(1)) }) },
    expected: staff('HEALTH_SERVICE_UNAVAILABLE'),
  },
  {
    name: 'cached fallback, lookup 10 min + 1 ms old with maxAge 10 min: HEALTH_SERVICE_UNAVAILABLE',
    input: {
      credential: riderFacts({ health: cached(DEFAULT_NOW - minutes(10) - 1) }),
      rules: cachedFallback(10),
    },
    expected: staff('HEALTH_SERVICE_UNAVAILABLE'),
  },
  {
    name: 'cached fallback, lookup exactly maxAge (10 min) old: still used, open',
    input: {
      credential: riderFacts({ health: cached(DEFAULT_NOW - minutes(10)) }),
      rules: cachedFallback(10),
    },
    expected: open,
  },
  {
    name: 'cached fallback within maxAge: the cached facts are judged, red code is HEALTH_CODE_NOT_GREEN',
    input: {
      credential: riderFacts({
        health: cached(DEFAULT_NOW - minutes(2), healthFacts({ colour: 'red' })),
      }),
      rules: cachedFallback(10),
    },
    expected: staff('HEALTH_CODE_NOT_GREEN'),
  },
  {
    name: 'cached fallback within maxAge: the test window is judged at now, not at fetch time',
    input: {
      credential: riderFacts({
        health: cached(
          DEFAULT_NOW - minutes(5),
          // in the window when fetched, 1 ms past it now
          healthFacts({ latestNegativeSampledAt: DEFAULT_NOW - hours(72) }),
        ),
      }),
      rules: cachedFallback(10),
    },
    expected: staff('TEST_EXPIRED'),
  },

  // Credentials that are bad in themselves: deny, nothing else reported
  ...(['CODE_INVALID', 'CODE_EXPIRED', 'CODE_REPLAYED', 'CARD_BLOCKED'] as const).map(
    (reason): Row => ({
      name: `rejected credential ${reason} at entry: deny with only that reason, even at 39 °C`,
      input: { credential: { kind: 'rejected', reason }, temperatureC: 39 },
      expected: deny(reason),
    }),
  ),

  // Guarantee pass cards (保通卡) and cleared riders: no health lookup, temperature still applies
  {
    name: 'guarantee-pass card with a normal reading: open without any health lookup',
    input: { credential: { kind: 'guarantee-pass' } },
    expected: open,
  },
  {
    name: 'guarantee-pass card at 37.3 °C: TEMPERATURE_HIGH',
    input: { credential: { kind: 'guarantee-pass' }, temperatureC: 37.3 },
    expected: staff('TEMPERATURE_HIGH'),
  },
  {
    name: 'guarantee-pass card, reading required but missing: TEMPERATURE_MISSING',
    input: {
      credential: { kind: 'guarantee-pass' },
      temperatureC: null,
      rules: ruleVersion({ temperatureRequired: true }),
    },
    expected: staff('TEMPERATURE_MISSING'),
  },
  {
    name: 'guarantee-pass card does not depend on one-code being enabled: open',
    input: {
      credential: { kind: 'guarantee-pass' },
      rules: ruleVersion({ oneCodeEnabled: false }),
    },
    expected: open,
  },
  {
    name: 'rider cleared by staff or a checkpoint scan: open',
    input: { credential: { kind: 'cleared' } },
    expected: open,
  },
  {
    name: 'cleared rider at 38 °C: TEMPERATURE_HIGH',
    input: { credential: { kind: 'cleared' }, temperatureC: 38 },
    expected: staff('TEMPERATURE_HIGH'),
  },

  // Every reason that applies is reported, temperature first
  {
    name: 'high reading, red code and expired test: all three reported',
    input: {
      temperatureC: 38.1,
      credential: riderWith({ colour: 'red', latestNegativeSampledAt: DEFAULT_NOW - hours(100) }),
    },
    expected: staff('TEMPERATURE_HIGH', 'HEALTH_CODE_NOT_GREEN', 'TEST_EXPIRED'),
  },
  {
    name: 'required reading missing, yellow code and no test: all three reported',
    input: {
      temperatureC: null,
      rules: ruleVersion({ temperatureRequired: true }),
      credential: riderWith({ colour: 'yellow', latestNegativeSampledAt: null }),
    },
    expected: staff('TEMPERATURE_MISSING', 'HEALTH_CODE_NOT_GREEN', 'TEST_MISSING'),
  },
  {
    name: 'high reading and health service unavailable: both reported',
    input: { temperatureC: 37.5, credential: riderFacts({ health: unavailable() }) },
    expected: staff('TEMPERATURE_HIGH', 'HEALTH_SERVICE_UNAVAILABLE'),
  },
  // A digital sentinel decides from the person's status wherever it stands
  {
    name: 'sentinel, green, test in window, at a station off the one-code lines: open',
    input: {
      credential: { kind: 'sentinel', health: fresh(healthFacts({})) },
      rules: ruleVersion({ oneCodeEnabled: false }),
    },
    expected: open,
  },
  {
    name: 'sentinel, yellow code, 38 °C: HEALTH_CODE_NOT_GREEN and TEMPERATURE_HIGH',
    input: {
      temperatureC: 38,
      credential: { kind: 'sentinel', health: fresh(healthFacts({ colour: 'yellow' })) },
      rules: ruleVersion({ oneCodeEnabled: false }),
    },
    expected: staff('TEMPERATURE_HIGH', 'HEALTH_CODE_NOT_GREEN'),
  },
  {
    name: 'sentinel, the authority did not answer: HEALTH_SERVICE_UNAVAILABLE',
    input: { credential: { kind: 'sentinel', health: unavailable() } },
    expected: staff('HEALTH_SERVICE_UNAVAILABLE'),
  },
];

const exitCases: Row[] = [
  {
    name: 'exit: 39 °C, red code, no test: open (exits never check health or temperature)',
    input: {
      mode: 'exit',
      temperatureC: 39,
      credential: riderWith({ colour: 'red', latestNegativeSampledAt: null }),
    },
    expected: open,
  },
  {
    name: 'exit: required reading missing: open',
    input: { mode: 'exit', temperatureC: null, rules: ruleVersion({ temperatureRequired: true }) },
    expected: open,
  },
  {
    name: 'exit: health service unavailable: open',
    input: { mode: 'exit', credential: riderFacts({ health: unavailable() }) },
    expected: open,
  },
  {
    name: 'exit: unauthorized rider: open',
    input: { mode: 'exit', credential: riderFacts({ authorized: false, health: null }) },
    expected: open,
  },
  {
    name: 'exit: one-code not enabled: open',
    input: { mode: 'exit', rules: ruleVersion({ oneCodeEnabled: false }) },
    expected: open,
  },
  {
    name: 'exit: plain card / single-journey ticket: open',
    input: { mode: 'exit', credential: { kind: 'venue-check' } },
    expected: open,
  },
  {
    name: 'exit: guarantee-pass card at 39 °C: open',
    input: { mode: 'exit', credential: { kind: 'guarantee-pass' }, temperatureC: 39 },
    expected: open,
  },
  {
    name: 'exit: paper offline code is never read by a machine: OFFLINE_CODE_NEEDS_STAFF',
    input: { mode: 'exit', credential: { kind: 'offline-code' } },
    expected: staff('OFFLINE_CODE_NEEDS_STAFF'),
  },
  {
    name: 'exit: forged ride code (CODE_INVALID) is not genuine: deny',
    input: { mode: 'exit', credential: { kind: 'rejected', reason: 'CODE_INVALID' } },
    expected: deny('CODE_INVALID'),
  },
  {
    name: 'exit: blocked card: deny',
    input: { mode: 'exit', credential: { kind: 'rejected', reason: 'CARD_BLOCKED' } },
    expected: deny('CARD_BLOCKED'),
  },
];

describe('decide', () => {
  describe('entry', () => {
    it.each(entryCases)('$name', ({ input, expected }) => {
      expect(decide(decisionInput(input))).toEqual(expected);
    });
  });

  describe('exit', () => {
    it.each(exitCases)('$name', ({ input, expected }) => {
      expect(decide(decisionInput(input))).toEqual(expected);
    });
  });

  it('every case: open iff no reasons, and every reason forces the outcome it is listed with', () => {
    for (const { input } of [...entryCases, ...exitCases]) {
      const d = decide(decisionInput(input));
      expect(d.outcome === 'open').toBe(d.reasons.length === 0);
      for (const r of d.reasons) expect(REASON_OUTCOME[r]).toBe(d.outcome);
    }
  });

  it('the table covers every reason the decision engine can give', () => {
    const seen = new Set(
      [...entryCases, ...exitCases].flatMap(({ input }) => decide(decisionInput(input)).reasons),
    );
    expect([...seen].sort()).toEqual(
      [
        'TEMPERATURE_HIGH',
        'TEMPERATURE_MISSING',
        'HEALTH_CODE_NOT_GREEN',
        'TEST_MISSING',
        'TEST_EXPIRED',
        'NOT_AUTHORIZED',
        'ONE_CODE_NOT_ENABLED',
        'VENUE_CHECK_REQUIRED',
        'OFFLINE_CODE_NEEDS_STAFF',
        'HEALTH_SERVICE_UNAVAILABLE',
        'CODE_INVALID',
        'CODE_EXPIRED',
        'CODE_REPLAYED',
        'CARD_BLOCKED',
      ].sort(),
    );
  });
});

describe('testWindowEndsAt', () => {
  it('is the sampling instant plus the window, to the millisecond', () => {
    const sampled = Date.parse('2022-05-29T01:00:00.000+08:00');
    expect(testWindowEndsAt(sampled, 48)).toBe(Date.parse('2022-05-31T01:00:00.000+08:00'));
    expect(testWindowEndsAt(sampled, 72)).toBe(Date.parse('2022-06-01T01:00:00.000+08:00'));
  });
});

describe('the test window has two ends: sampledAt <= now < sampledAt + window', () => {
  const sampled = Date.parse('2022-05-29T01:00:00.000+08:00');
  const end72 = Date.parse('2022-06-01T01:00:00.000+08:00');
  it.each([
    {
      name: '1 ms before sampling',
      now: sampled - 1,
      standing: 'not-yet-valid',
      reason: 'TEST_MISSING',
    },
    { name: 'at the sampling instant', now: sampled, standing: 'valid', reason: null },
    { name: '1 ms after sampling', now: sampled + 1, standing: 'valid', reason: null },
    { name: '1 ms before the end', now: end72 - 1, standing: 'valid', reason: null },
    { name: 'at the end (exclusive)', now: end72, standing: 'expired', reason: 'TEST_EXPIRED' },
    { name: '1 ms after the end', now: end72 + 1, standing: 'expired', reason: 'TEST_EXPIRED' },
  ] as const)('72 h window, $name: $standing', ({ now, standing, reason }) => {
    expect(testStanding(sampled, 72, now)).toBe(standing);
    expect(testReason(sampled, 72, now)).toBe(reason);
    const d = decide(
      decisionInput({ now, credential: riderWith({ latestNegativeSampledAt: sampled }) }),
    );
    expect(d).toEqual(reason === null ? open : staff(reason));
  });

  it('no result on record is TEST_MISSING at any instant', () => {
    expect(testReason(null, 72, sampled)).toBe('TEST_MISSING');
  });
});

describe('needsHealthLookup (privacy: fetch health data only when the decision uses it)', () => {
  it.each([
    {
      name: 'entry, one-code enabled, authorized: lookup',
      mode: 'entry',
      enabled: true,
      authorized: true,
      expected: true,
    },
    { name: 'exit: never', mode: 'exit', enabled: true, authorized: true, expected: false },
    {
      name: 'one-code not enabled: no lookup',
      mode: 'entry',
      enabled: false,
      authorized: true,
      expected: false,
    },
    {
      name: 'not authorized: no lookup',
      mode: 'entry',
      enabled: true,
      authorized: false,
      expected: false,
    },
  ] as const)('$name', ({ mode, enabled, authorized, expected }) => {
    expect(needsHealthLookup(mode, ruleVersion({ oneCodeEnabled: enabled }), authorized)).toBe(
      expected,
    );
  });
});
