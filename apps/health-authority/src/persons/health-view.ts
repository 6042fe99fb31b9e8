import { formatShanghai } from '../common/time';
import type { Colour } from '../common/vocabulary';
import type { Person, TestOutcome } from './person-store';

export interface HealthSummary {
  colour: Colour;
  /** ISO with +08:00; null when there is no negative result. */
  latestNegativeSampledAt: string | null;
}

export interface HealthStatus extends HealthSummary {
  latestTest: { sampledAt: string; result: TestOutcome } | null;
}

/** What verifications and lookups reveal: colour and latest negative sampling, nothing more. */
export function healthSummary(person: Readonly<Person>): HealthSummary {
  const { latestNegativeSampledAt } = person;
  return {
    colour: person.colour,
    latestNegativeSampledAt:
      latestNegativeSampledAt === null ? null : formatShanghai(latestNegativeSampledAt),
  };
}

/** The summary plus the latest test, as a consent read shows it. */
export function healthStatus(person: Readonly<Person>): HealthStatus {
  const { latestTest } = person;
  return {
    ...healthSummary(person),
    latestTest: latestTest && {
      sampledAt: formatShanghai(latestTest.sampledAt),
      result: latestTest.result,
    },
  };
}
