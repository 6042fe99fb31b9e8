/**
 * The stand-in's own words. It plays another organisation's system, so it shares no types with
 * the gateway: what the two must agree on is pinned by a contract test instead
 * (test/repo/authority-contract.spec.ts), and lint keeps the gateway's libraries out of here.
 */

/** A health code's colour, as this authority's API names it. */
export type Colour = 'green' | 'yellow' | 'red';
export const COLOURS: readonly Colour[] = ['green', 'yellow', 'red'];

/** Where status changes are announced: `{"consentId": ...}`, never a health value. */
export const STATUS_CHANGED_SUBJECT = 'authority.status-changed';
