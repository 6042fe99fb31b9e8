import fc from 'fast-check';
import { REASON_OUTCOME } from '@app/protocol';
import { decide, needsHealthLookup, type CredentialFacts, type HealthLookup } from './decide';
import { COLOURS, type RuleVersion } from './rules';
import { DEFAULT_NOW, decisionInput, hours, minutes, ruleVersion } from './testing/factories';

const RUNS = 300;

const healthArb: fc.Arbitrary<HealthLookup | null> = fc.oneof(
  fc.constant(null),
  fc.constant<HealthLookup>({ kind: 'unavailable' }),
  fc
    .record({
      colour: fc.constantFrom(...COLOURS),
      latestNegativeSampledAt: fc.option(
        fc.integer({ min: 0, max: 100 }).map((h) => DEFAULT_NOW - hours(h)),
      ),
      fetchedMinutesAgo: fc.option(fc.integer({ min: 0, max: 30 })),
    })
    .map(({ colour, latestNegativeSampledAt, fetchedMinutesAgo }): HealthLookup => {
      const facts = { colour, latestNegativeSampledAt };
      return fetchedMinutesAgo === null
        ? { kind: 'fresh', facts }
        : { kind: 'cached', facts, fetchedAt: DEFAULT_NOW - minutes(fetchedMinutesAgo) };
    }),
);

const credentialArb: fc.Arbitrary<CredentialFacts> = fc.oneof(
  fc.record({ kind: fc.constant('rider' as const), authorized: fc.boolean(), health: healthArb }),
  fc.constantFrom<CredentialFacts>(
    { kind: 'guarantee-pass' },
    { kind: 'cleared' },
    { kind: 'venue-check' },
    { kind: 'offline-code' },
    { kind: 'rejected', reason: 'CODE_INVALID' },
    { kind: 'rejected', reason: 'CODE_EXPIRED' },
    { kind: 'rejected', reason: 'CODE_REPLAYED' },
    { kind: 'rejected', reason: 'CARD_BLOCKED' },
  ),
);

const rulesArb: fc.Arbitrary<RuleVersion> = fc
  .record({
    testWindowHours: fc.constantFrom(24, 48, 72),
    allowedColours: fc.subarray([...COLOURS]),
    temperatureRequired: fc.boolean(),
    oneCodeEnabled: fc.boolean(),
    cachedMaxAge: fc.option(fc.integer({ min: 0, max: 20 })),
  })
  .map(({ cachedMaxAge, ...settings }) =>
    ruleVersion({
      ...settings,
      healthServiceFallback:
        cachedMaxAge === null
          ? { mode: 'staff', timeoutMs: 300 }
          : { mode: 'cached', timeoutMs: 300, maxAgeMinutes: cachedMaxAge },
    }),
  );

const inputArb = fc
  .record({
    mode: fc.constantFrom('entry' as const, 'exit' as const),
    temperatureC: fc.option(fc.integer({ min: 3500, max: 4000 }).map((c) => c / 100)),
    credential: credentialArb,
    rules: rulesArb,
  })
  .map((i) => decisionInput(i));

describe('decide, properties over arbitrary inputs', () => {
  it('open iff no reasons; reasons are distinct and each forces the decision’s outcome', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const d = decide(input);
        expect(d.outcome === 'open').toBe(d.reasons.length === 0);
        expect(new Set(d.reasons).size).toBe(d.reasons.length);
        for (const r of d.reasons) expect(REASON_OUTCOME[r]).toBe(d.outcome);
      }),
      { numRuns: RUNS },
    );
  });

  it('an exit never gives a health or temperature reason', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const d = decide({ ...input, mode: 'exit' });
        for (const r of d.reasons) {
          expect([
            'OFFLINE_CODE_NEEDS_STAFF',
            'CODE_INVALID',
            'CODE_EXPIRED',
            'CODE_REPLAYED',
            'CARD_BLOCKED',
          ]).toContain(r);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('when no lookup is needed, the health facts cannot change the decision (privacy)', () => {
    fc.assert(
      fc.property(inputArb, healthArb, healthArb, (input, h1, h2) => {
        if (input.credential.kind !== 'rider') return;
        if (needsHealthLookup(input.mode, input.rules, input.credential.authorized)) return;
        const withHealth = (health: HealthLookup | null) =>
          decide({ ...input, credential: { ...input.credential, health } as CredentialFacts });
        expect(withHealth(h1)).toEqual(withHealth(h2));
      }),
      { numRuns: RUNS },
    );
  });
});
