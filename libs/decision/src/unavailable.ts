/**
 * The one "could not be known" result: a status the authority did not give in time, facts the
 * database could not give, a commit that did not happen. Each edge says it in its own words
 * (HEALTH_SERVICE_UNAVAILABLE, RECORD_UNAVAILABLE, CHECK_IN_UNAVAILABLE); inside, it is this.
 */
export interface Unavailable {
  readonly kind: 'unavailable';
}

export const UNAVAILABLE: Unavailable = Object.freeze({ kind: 'unavailable' });

export const isUnavailable = (x: unknown): x is Unavailable =>
  typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'unavailable';
