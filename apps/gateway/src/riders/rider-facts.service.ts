import { Injectable } from '@nestjs/common';
import {
  UNAVAILABLE,
  needsHealthLookup,
  type CredentialFacts,
  type HealthFacts,
  type RuleVersion,
  type Unavailable,
} from '@app/decision';
import { HealthStatusService } from '../health-link/health-status.service';
import { ConsentDirectory } from './consent-directory';

/** A prefetch is no tap: it may wait for the authority as long as the status screen does. */
const WARM_BUDGET_MS = 3_000;

export type RiderFacts = Extract<CredentialFacts, { kind: 'rider' }>;

/**
 * The rider's facts as a ride code establishes them (linked cards and checkpoint scans too):
 * consent, then (only with one) a health lookup.
 */
@Injectable()
export class RiderFactsService {
  constructor(
    private readonly consents: ConsentDirectory,
    private readonly health: HealthStatusService,
  ) {}

  /** A consent revoked or replaced, here or on another instance: nothing held of it may serve a tap. */
  forget(consentId: string): void {
    this.health.evict(consentId);
    this.consents.evictConsent(consentId);
  }

  /**
   * Revocations and change notices may have been missed (e.g. while NATS was away): consents
   * are read again from the database and no status serves as fresh until it is read again. What
   * the operator's cached fallback needs stays (HealthStatusService.dropFresh).
   */
  forgetAll(): void {
    this.health.dropFresh();
    this.consents.clear();
  }

  /**
   * The rider asked for a ride code valid until `until` (gateway clock): their status is read
   * now and kept for that code's taps. Never rejects; without a consent nothing is read.
   */
  async warm(riderId: string, until: number): Promise<void> {
    try {
      const consentId = await this.consents.consentOf(riderId);
      if (typeof consentId === 'string')
        await this.health.prefetch(consentId, until, WARM_BUDGET_MS);
    } catch {
      // Only a tap's own lookup is lost; it happens at the gate as it would have anyway.
    }
  }

  /** A status the rider's status screen read, from a request sent at `startedAt` (performance.now()). */
  warmWith(
    consentId: string,
    facts: HealthFacts,
    startedAt: number,
    fetchedAt: number,
    until: number,
  ): void {
    this.health.warmWith(consentId, facts, startedAt, fetchedAt, until);
  }

  /**
   * Unavailable when the database could not say whether the rider consented.
   * The health lookup waits at most the operator's bound, and never past `deadlineMs` (the
   * tap's, on performance.now()).
   */
  async of(
    riderId: string,
    mode: 'entry' | 'exit',
    rules: RuleVersion,
    deadlineMs = Infinity,
  ): Promise<RiderFacts | Unavailable> {
    // The decision's own rule for when health data is used: not even the consent is read
    // when no consent could make it needed (an exit, a station without one code).
    if (!needsHealthLookup(mode, rules, true))
      return { kind: 'rider', authorized: true, health: null };
    const consentId = await this.consents.consentOf(riderId);
    if (consentId === undefined) return UNAVAILABLE;
    // Not authorized: needsHealthLookup is false, and no health data is read.
    if (consentId === null) return { kind: 'rider', authorized: false, health: null };
    const budgetMs = Math.min(
      rules.healthServiceFallback.timeoutMs,
      Math.max(1, deadlineMs - performance.now()),
    );
    const health = await this.health.lookup(consentId, budgetMs);
    if (health === null) {
      // The authority no longer knows the consent: it was revoked there.
      this.consents.evictConsent(consentId);
      return { kind: 'rider', authorized: false, health: null };
    }
    return { kind: 'rider', authorized: true, health };
  }
}
