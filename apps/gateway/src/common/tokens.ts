/** Nest injection tokens for the things that are not classes. */
export const CONFIG = Symbol('CONFIG');
export const CLOCK = Symbol('CLOCK');
export const LOGGER = Symbol('LOGGER');
/** The general DataSource's pg pool (the general DataSource itself is injected by its class). */
export const PG_POOL = Symbol('PG_POOL');
/** The check-in commits' own DataSource (see database.ts): its statement_timeout is the commit bound. */
export const ADMISSIONS_DATA_SOURCE = Symbol('ADMISSIONS_DATA_SOURCE');
/** The admissions DataSource's pg pool. */
export const ADMISSIONS_POOL = Symbol('ADMISSIONS_POOL');
/** Trace exports' own small pool: a slow reader never holds a connection taps need. */
export const EXPORT_POOL = Symbol('EXPORT_POOL');
export const NATS = Symbol('NATS');
export const RIDE_CODE_KEYS = Symbol('RIDE_CODE_KEYS');
export const ACCESS_VERIFIER = Symbol('ACCESS_VERIFIER');
export const TIMER = Symbol('TIMER');
/**
 * The rule timeline's reload, for those the rules depend on (the network directory): a network
 * change reloads the rules without the network folder importing the rules folder.
 */
export const RULES_RELOADER = Symbol('RULES_RELOADER');
export interface RulesReloader {
  reload(): Promise<unknown>;
}
/** Rule schedules and cancels, and network changes, serialize on this advisory lock. */
export const TIMELINE_LOCK = 727275;
/** Whether the in-memory consent ids are still loading, for readiness (riders/ provides it). */
export const CONSENT_DIRECTORY_STATUS = Symbol('CONSENT_DIRECTORY_STATUS');
export interface ConsentDirectoryStatus {
  readonly isLoading: boolean;
  readonly size: number;
}
/** The gate transport's client (a Nest ClientProxy): gate commands, plain JSON on NATS. */
export const GATE_CLIENT = Symbol('GATE_CLIENT');
