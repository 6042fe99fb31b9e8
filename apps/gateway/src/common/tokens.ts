/** Nest injection tokens for the things that are not classes. */
export const CONFIG = Symbol('CONFIG');
export const CLOCK = Symbol('CLOCK');
export const LOGGER = Symbol('LOGGER');
export const PG_POOL = Symbol('PG_POOL');
/** The check-in commits' own pool: its statement_timeout is the commit bound. */
export const ADMISSIONS_POOL = Symbol('ADMISSIONS_POOL');
export const NATS = Symbol('NATS');
export const RIDE_CODE_KEYS = Symbol('RIDE_CODE_KEYS');
export const ACCESS_VERIFIER = Symbol('ACCESS_VERIFIER');
