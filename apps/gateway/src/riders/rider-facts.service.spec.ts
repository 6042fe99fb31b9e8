import pino from 'pino';
import type { RuleVersion } from '@app/decision';
import { fixedClock } from '../common/clock';
import { loadConfig } from '../config';
import { Metrics } from '../ops/metrics';
import type { AuthorityClient, AuthorityStatus } from '../health-link/authority.client';
import { HealthStatusService } from '../health-link/health-status.service';
import type { ConsentDirectory } from './consent-directory';
import type { RulesService } from '../rules/rules.service';
import { RiderFactsService } from './rider-facts.service';

const T0 = Date.parse('2022-06-01T08:00:00+08:00');
const GREEN: AuthorityStatus = {
  colour: 'green',
  latestNegativeSampledAt: '2022-05-31T20:00:00.000+08:00',
  latestTest: { sampledAt: '2022-05-31T20:00:00.000+08:00', result: 'negative' },
};
const RED: AuthorityStatus = { ...GREEN, colour: 'red' };

/** The authority in memory, counting the consents it was asked about. */
class FakeAuthority {
  readonly statuses = new Map<string, AuthorityStatus>();
  asked = 0;
  statusBatch(ids: string[]): Promise<Record<string, AuthorityStatus | null>> {
    this.asked += ids.length;
    return Promise.resolve(
      Object.fromEntries(ids.map((id) => [id, this.statuses.get(id) ?? null])),
    );
  }
}

/** Links in memory; what a revocation does to them is the directory's own business. */
class FakeConsents {
  readonly links = new Map<string, string>();
  /** How often a rider's consent was read. */
  read = 0;
  /** The database cannot say (what the real directory answers with `undefined`). */
  down = false;
  consentOf(riderId: string): Promise<string | null | undefined> {
    this.read++;
    if (this.down) return Promise.resolve(undefined);
    return Promise.resolve(this.links.get(riderId) ?? null);
  }
  evictConsent(consentId: string): void {
    for (const [rider, consent] of this.links) if (consent === consentId) this.links.delete(rider);
  }
  clear(): void {}
}

const RULES = {
  oneCodeEnabled: true,
  healthServiceFallback: { timeoutMs: 250 },
} as unknown as RuleVersion;

function setup() {
  const clock = fixedClock(T0);
  const authority = new FakeAuthority();
  const consents = new FakeConsents();
  const health = new HealthStatusService(
    authority as unknown as AuthorityClient,
    { longestCacheFallbackMs: () => 0 } as unknown as RulesService,
    loadConfig({ HEALTH_CACHE_TTL_MS: '10000' }),
    clock,
    pino({ level: 'silent' }),
    new Metrics(),
  );
  const facts = new RiderFactsService(consents as unknown as ConsentDirectory, health);
  authority.statuses.set('c1', GREEN);
  consents.links.set('r1', 'c1');
  return { clock, authority, consents, health, facts };
}

/** A 60 s ride code minted at T0. */
const CODE_END = T0 + 60_000;

describe('RiderFactsService: warm taps', () => {
  let s: ReturnType<typeof setup>;
  beforeEach(() => (s = setup()));
  afterEach(() => s.health.onModuleDestroy());

  it('a tap within the code lifetime of a warmed rider needs no lookup', async () => {
    await s.facts.warm('r1', CODE_END);
    expect(s.authority.asked).toBe(1);
    s.clock.set(CODE_END - 1);
    await expect(s.facts.of('r1', 'entry', RULES)).resolves.toMatchObject({
      authorized: true,
      health: { kind: 'fresh', facts: { colour: 'green' } },
    });
    expect(s.authority.asked).toBe(1);
  });

  it('a tap after the code lifetime looks the status up again', async () => {
    await s.facts.warm('r1', CODE_END);
    s.authority.statuses.set('c1', RED);
    s.clock.set(CODE_END);
    await expect(s.facts.of('r1', 'entry', RULES)).resolves.toMatchObject({
      health: { facts: { colour: 'red' } },
    });
    expect(s.authority.asked).toBe(2);
  });

  it('a status-change notice evicts the warm status: the next tap reads the new one', async () => {
    await s.facts.warm('r1', CODE_END);
    s.authority.statuses.set('c1', RED);
    s.health.evict('c1'); // what the gate server does with a status-changed notice
    await expect(s.facts.of('r1', 'entry', RULES)).resolves.toMatchObject({
      health: { facts: { colour: 'red' } },
    });
    expect(s.authority.asked).toBe(2);
  });

  it('a revocation (heard or reconciled) evicts the warm status: the next tap is not authorized', async () => {
    await s.facts.warm('r1', CODE_END);
    s.facts.forget('c1');
    expect(s.health.warmCount).toBe(0);
    await expect(s.facts.of('r1', 'entry', RULES)).resolves.toEqual({
      kind: 'rider',
      authorized: false,
      health: null,
    });
  });

  it('reads nothing ahead for a rider without a consent', async () => {
    await s.facts.warm('nobody', CODE_END);
    expect(s.authority.asked).toBe(0);
    expect(s.health.warmCount).toBe(0);
  });
});

describe('RiderFactsService.of: consent first, health only when the decision uses it', () => {
  let s: ReturnType<typeof setup>;
  beforeEach(() => (s = setup()));
  afterEach(() => s.health.onModuleDestroy());

  it.each([
    ['an exit', 'exit', RULES],
    ['an entry where one code is not enabled', 'entry', { ...RULES, oneCodeEnabled: false }],
  ] as const)('reads neither consent nor health for %s', async (_name, mode, rules) => {
    await expect(s.facts.of('r1', mode, rules as RuleVersion)).resolves.toEqual({
      kind: 'rider',
      authorized: true,
      health: null,
    });
    expect({ consentsRead: s.consents.read, authorityAsked: s.authority.asked }).toEqual({
      consentsRead: 0,
      authorityAsked: 0,
    });
  });

  it('reads no health for a rider without a consent: not authorized', async () => {
    await expect(s.facts.of('stranger', 'entry', RULES)).resolves.toEqual({
      kind: 'rider',
      authorized: false,
      health: null,
    });
    expect(s.consents.read).toBe(1);
    expect(s.authority.asked).toBe(0);
  });

  it('answers Unavailable when the database cannot say whether the rider consented', async () => {
    s.consents.down = true;
    await expect(s.facts.of('r1', 'entry', RULES)).resolves.toEqual({ kind: 'unavailable' });
    expect(s.authority.asked).toBe(0);
  });

  it('looks the status up for an authorized entry', async () => {
    await expect(s.facts.of('r1', 'entry', RULES)).resolves.toMatchObject({
      kind: 'rider',
      authorized: true,
      health: { kind: 'fresh', facts: { colour: 'green' } },
    });
    expect(s.authority.asked).toBe(1);
  });

  it('forgets a consent the authority no longer knows: this tap and the next are not authorized', async () => {
    s.authority.statuses.delete('c1');
    const unknown = { kind: 'rider', authorized: false, health: null };
    await expect(s.facts.of('r1', 'entry', RULES)).resolves.toEqual(unknown);
    expect(s.consents.links.has('r1')).toBe(false);
    await expect(s.facts.of('r1', 'entry', RULES)).resolves.toEqual(unknown);
    expect(s.authority.asked).toBe(1);
  });

  it.each([
    ['the operator bound, with time to spare', 10_000, 250],
    ['the time left before the tap deadline', 40, 40],
    ['at least 1 ms, once the deadline has passed', -5, 1],
  ])('bounds the lookup by %s', async (_name, leftMs, expected) => {
    const lookup = jest.spyOn(s.health, 'lookup');
    // Whole milliseconds ahead of now, so the budget is exact to within the call's own time.
    await s.facts.of('r1', 'entry', RULES, performance.now() + leftMs);
    const budget = lookup.mock.calls[0][1];
    expect(budget).toBeLessThanOrEqual(expected);
    expect(budget).toBeGreaterThanOrEqual(Math.max(1, expected - 20));
  });
});
