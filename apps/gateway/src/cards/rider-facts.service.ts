import { Injectable } from '@nestjs/common';
import type { CredentialFacts, RuleVersion } from '@app/decision';
import { BatchLoader } from '../common/batch-loader';
import { HealthStatusService } from '../health-link/health-status.service';
import { RidersRepository } from '../riders/riders.repository';

export type RiderFacts = Extract<CredentialFacts, { kind: 'rider' }>;

/**
 * The rider's facts as a ride code would establish them: consent, then (only with one) a
 * health lookup. Used for linked cards and checkpoint scans.
 */
@Injectable()
export class RiderFactsService {
  /** A rider's consent id, null without one, undefined when the database did not answer. */
  private readonly consents: BatchLoader<string, string | null | undefined>;

  constructor(
    riders: RidersRepository,
    private readonly health: HealthStatusService,
  ) {
    this.consents = new BatchLoader(
      async (ids) => {
        const found = await riders.consentsOf(ids);
        return new Map(ids.map((id) => [id, found.get(id) ?? null]));
      },
      () => undefined,
    );
  }

  /** 'record-unavailable' when the database could not say whether the rider consented. */
  async of(
    riderId: string,
    mode: 'entry' | 'exit',
    rules: RuleVersion,
  ): Promise<RiderFacts | 'record-unavailable'> {
    if (mode === 'exit' || !rules.oneCodeEnabled)
      return { kind: 'rider', authorized: true, health: null };
    const consentId = await this.consents.load(riderId);
    if (consentId === undefined) return 'record-unavailable';
    if (consentId === null) return { kind: 'rider', authorized: false, health: null };
    const health = await this.health.lookup(consentId, rules.healthServiceFallback.timeoutMs);
    if (health === null) return { kind: 'rider', authorized: false, health: null };
    return { kind: 'rider', authorized: true, health };
  }
}
