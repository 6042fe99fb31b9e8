/**
 * Test builders for the decision engine. Every builder takes overrides, so a test names only
 * the fact it is about; everything else is a passing default.
 */
import type { CredentialFacts, DecisionInput, HealthFacts, HealthLookup } from '../decide';
import { UNAVAILABLE } from '../unavailable';
import type { RuleVersion, Scope, StationRef } from '../rules';

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** Epoch ms for an ISO instant that names its offset; throws on anything else (test input bug). */
export function at(iso: string): number {
  if (!/(Z|[+-]\d{2}:\d{2})$/.test(iso)) throw new Error(`instant without an offset: ${iso}`);
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`not an instant: ${iso}`);
  return ms;
}

export const hours = (n: number): number => n * HOUR_MS;
export const minutes = (n: number): number => n * MINUTE_MS;

/** The default clock for decisions: mid-day after the 72 h rules took effect. */
export const DEFAULT_NOW = at('2022-06-02T12:00:00.000+08:00');

export function ruleVersion(overrides: Partial<RuleVersion> = {}): RuleVersion {
  return {
    id: 'rules-test',
    effectiveFrom: at('2022-06-01T00:00:00.000+08:00'),
    scope: { kind: 'network' },
    reason: 'test defaults',
    testWindowHours: 72,
    allowedColours: ['green'],
    temperatureThresholdC: 37.3,
    temperatureRequired: false,
    oneCodeEnabled: true,
    dayTicketClearanceMinutes: 15,
    healthServiceFallback: { mode: 'staff', timeoutMs: 300 },
    ...overrides,
  };
}

/** Green code, negative test sampled 4 hours before DEFAULT_NOW. */
export function healthFacts(overrides: Partial<HealthFacts> = {}): HealthFacts {
  return { colour: 'green', latestNegativeSampledAt: DEFAULT_NOW - hours(4), ...overrides };
}

export const fresh = (facts: HealthFacts = healthFacts()): HealthLookup => ({
  kind: 'fresh',
  facts,
});
export const cached = (fetchedAt: number, facts: HealthFacts = healthFacts()): HealthLookup => ({
  kind: 'cached',
  facts,
  fetchedAt,
});
export const unavailable = (): HealthLookup => UNAVAILABLE;

/** An authorized rider (ride code or real-name card) whose fresh lookup passes. */
export function riderFacts(
  overrides: Partial<{ authorized: boolean; health: HealthLookup | null }> = {},
): CredentialFacts {
  return { kind: 'rider', authorized: true, health: fresh(), ...overrides };
}

export function decisionInput(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    mode: 'entry',
    temperatureC: 36.6,
    credential: riderFacts(),
    rules: ruleVersion(),
    now: DEFAULT_NOW,
    ...overrides,
  };
}

export const station = (stationId: string, lines: readonly string[] = []): StationRef => ({
  stationId,
  lines,
});

export const network = (): Scope => ({ kind: 'network' });
export const onLines = (...lines: string[]): Scope => ({ kind: 'lines', lines });
export const atStations = (...stations: string[]): Scope => ({ kind: 'stations', stations });

/** The 2022 one-code pilot lines. */
export const PILOT_LINES = ['3', '6', '10', '16'];
export const RULES_48H_FROM = at('2022-05-30T00:00:00.000+08:00');
export const RULES_72H_FROM = at('2022-06-01T00:00:00.000+08:00');

/**
 * The operator's real 2022 timeline: 48 h from 2022-05-30 00:00, 72 h from 2022-06-01 00:00
 * (Asia/Shanghai), each as a network version (one-code off) and a pilot-line version (one-code on).
 */
export function shanghai2022Timeline(): RuleVersion[] {
  const base = { temperatureThresholdC: 37.3, allowedColours: ['green' as const] };
  return [
    ruleVersion({
      ...base,
      id: 'net-48h',
      effectiveFrom: RULES_48H_FROM,
      scope: network(),
      testWindowHours: 48,
      oneCodeEnabled: false,
      reason: 'resumption: negative test within 48 h',
    }),
    ruleVersion({
      ...base,
      id: 'pilot-48h',
      effectiveFrom: RULES_48H_FROM,
      scope: onLines(...PILOT_LINES),
      testWindowHours: 48,
      oneCodeEnabled: true,
      reason: 'one-code pilot, 48 h',
    }),
    ruleVersion({
      ...base,
      id: 'net-72h',
      effectiveFrom: RULES_72H_FROM,
      scope: network(),
      testWindowHours: 72,
      oneCodeEnabled: false,
      reason: 'negative test within 72 h',
    }),
    ruleVersion({
      ...base,
      id: 'pilot-72h',
      effectiveFrom: RULES_72H_FROM,
      scope: onLines(...PILOT_LINES),
      testWindowHours: 72,
      oneCodeEnabled: true,
      reason: 'one-code pilot, 72 h',
    }),
  ];
}
