import type { Unavailable } from './unavailable';
import type { DenyReason, Reason, StaffReason } from '@app/protocol';
import type { Colour, RuleVersion } from './rules';

const HOUR_MS = 3_600_000;

export interface HealthFacts {
  colour: Colour;
  /** Sampling instant (epoch ms) of the latest negative nucleic-acid result, or null. */
  latestNegativeSampledAt: number | null;
}

export type HealthLookup =
  | { kind: 'fresh'; facts: HealthFacts }
  /** Served from the in-memory cache because the authority did not answer in time. */
  | { kind: 'cached'; facts: HealthFacts; fetchedAt: number }
  | Unavailable;

/** What the gateway established about the credential before deciding. */
export type CredentialFacts =
  /** The credential itself is bad. */
  | {
      kind: 'rejected';
      reason: Extract<
        DenyReason,
        'CODE_INVALID' | 'CODE_EXPIRED' | 'CODE_REPLAYED' | 'CARD_BLOCKED'
      >;
    }
  /** A ride code or a real-name-linked card. `health` is null when it was not looked up. */
  | { kind: 'rider'; authorized: boolean; health: HealthLookup | null }
  /**
   * A person read at a digital sentinel (ID card, relative's code, their own health code): the
   * status the authority gave for them. A sentinel is a venue device, so it decides wherever it
   * stands, one-code line or not.
   */
  | { kind: 'sentinel'; health: HealthLookup }
  /** 保通卡: no health lookup, temperature still applies. */
  | { kind: 'guarantee-pass' }
  /** Cleared by staff or by a checkpoint scan within its window. */
  | { kind: 'cleared' }
  /** Plain card, single-journey, companion, or a day ticket without a clearance. */
  | { kind: 'venue-check' }
  | { kind: 'offline-code' };

export interface DecisionInput {
  mode: 'entry' | 'exit';
  temperatureC: number | null;
  credential: CredentialFacts;
  rules: RuleVersion;
  now: number;
}

export type Decision =
  | { outcome: 'open'; reasons: [] }
  | { outcome: 'see-staff'; reasons: StaffReason[] }
  | { outcome: 'deny'; reasons: DenyReason[] };

const OPEN: Decision = { outcome: 'open', reasons: [] };

/** The exclusive end of the window a negative result sampled at `sampledAt` opens. */
export function testWindowEndsAt(sampledAt: number, windowHours: number): number {
  return sampledAt + windowHours * HOUR_MS;
}

/**
 * Where `now` stands in a result's window, which has two ends: the result counts while
 * `sampledAt <= now < sampledAt + window`. A result sampled after `now` (an authority clock
 * ahead of ours, or a mistyped report) does not count yet.
 */
export type TestStanding = 'not-yet-valid' | 'valid' | 'expired';

export function testStanding(sampledAt: number, windowHours: number, now: number): TestStanding {
  if (now < sampledAt) return 'not-yet-valid';
  return now < testWindowEndsAt(sampledAt, windowHours) ? 'valid' : 'expired';
}

/**
 * The reason a negative result (or none) gives at `now`, or null when it counts. A result that
 * does not count yet is no result that counts: TEST_MISSING, as when none is on record.
 */
export function testReason(
  sampledAt: number | null,
  windowHours: number,
  now: number,
): 'TEST_MISSING' | 'TEST_EXPIRED' | null {
  if (sampledAt === null) return 'TEST_MISSING';
  switch (testStanding(sampledAt, windowHours, now)) {
    case 'not-yet-valid':
      return 'TEST_MISSING';
    case 'expired':
      return 'TEST_EXPIRED';
    case 'valid':
      return null;
  }
}

export function healthReasons(facts: HealthFacts, rules: RuleVersion, now: number): StaffReason[] {
  const reasons: StaffReason[] = [];
  if (!rules.allowedColours.includes(facts.colour)) reasons.push('HEALTH_CODE_NOT_GREEN');
  const test = testReason(facts.latestNegativeSampledAt, rules.testWindowHours, now);
  if (test !== null) reasons.push(test);
  return reasons;
}

export function temperatureReasons(temperatureC: number | null, rules: RuleVersion): StaffReason[] {
  if (temperatureC === null) return rules.temperatureRequired ? ['TEMPERATURE_MISSING'] : [];
  return temperatureC >= rules.temperatureThresholdC ? ['TEMPERATURE_HIGH'] : [];
}

function lookupReasons(
  health: HealthLookup | null,
  rules: RuleVersion,
  now: number,
): StaffReason[] {
  if (health === null) return ['HEALTH_SERVICE_UNAVAILABLE'];
  switch (health.kind) {
    case 'fresh':
      return healthReasons(health.facts, rules, now);
    case 'cached': {
      const fb = rules.healthServiceFallback;
      const fresh = fb.mode === 'cached' && now - health.fetchedAt <= fb.maxAgeMinutes * 60_000;
      return fresh ? healthReasons(health.facts, rules, now) : ['HEALTH_SERVICE_UNAVAILABLE'];
    }
    case 'unavailable':
      return ['HEALTH_SERVICE_UNAVAILABLE'];
  }
}

function staffOrOpen(reasons: StaffReason[]): Decision {
  return reasons.length === 0 ? OPEN : { outcome: 'see-staff', reasons };
}

/** Pure: the gate's answer for these facts under these rules at `now`. */
export function decide(input: DecisionInput): Decision {
  const { credential, rules, now } = input;
  if (credential.kind === 'rejected') return { outcome: 'deny', reasons: [credential.reason] };
  if (input.mode === 'exit') {
    // Exits never check health or temperature; a genuine credential lets the rider out.
    return credential.kind === 'offline-code'
      ? { outcome: 'see-staff', reasons: ['OFFLINE_CODE_NEEDS_STAFF'] }
      : OPEN;
  }
  const temperature = temperatureReasons(input.temperatureC, rules);
  switch (credential.kind) {
    case 'offline-code':
      return { outcome: 'see-staff', reasons: ['OFFLINE_CODE_NEEDS_STAFF', ...temperature] };
    case 'venue-check':
      return { outcome: 'see-staff', reasons: ['VENUE_CHECK_REQUIRED', ...temperature] };
    case 'guarantee-pass':
    case 'cleared':
      return staffOrOpen(temperature);
    case 'sentinel':
      return staffOrOpen([...temperature, ...lookupReasons(credential.health, rules, now)]);
    case 'rider': {
      if (!rules.oneCodeEnabled)
        return { outcome: 'see-staff', reasons: ['ONE_CODE_NOT_ENABLED', ...temperature] };
      if (!credential.authorized)
        return { outcome: 'see-staff', reasons: ['NOT_AUTHORIZED', ...temperature] };
      return staffOrOpen([...temperature, ...lookupReasons(credential.health, rules, now)]);
    }
  }
}

/** Whether the gateway needs the rider's health facts for this tap (privacy: fetch only then). */
export function needsHealthLookup(
  mode: 'entry' | 'exit',
  rules: RuleVersion,
  authorized: boolean,
): boolean {
  return mode === 'entry' && rules.oneCodeEnabled && authorized;
}

export type { Reason };
