import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import { testWindowEndsAt } from '@app/decision';
import { EVENTS, formatShanghai, parseInstant } from '@app/protocol';
import { AppError } from '../common/errors';
import type { Clock } from '../common/clock';
import { CLOCK, CONFIG, NATS } from '../common/tokens';
import type { GatewayConfig } from '../config';
import { AuthorityClient, toFacts } from '../health-link/authority.client';
import { RiderFactsService } from './rider-facts.service';
import { RideCodeService } from '../ride-code/ride-code.service';
import { RulesService } from '../rules/rules.service';
import { ConsentDirectory } from './consent-directory';
import {
  IdentityProofs,
  sameIdentity,
  type ProofPurpose,
  type ProvedIdentity,
} from './identity-proofs';
import { RidersRepository } from './riders.repository';
import type { RegistrationErasedDto, RiderCheckInsDto, StatusScreenDto } from './riders.dto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const NO_DATA_YET = {
  zh: '暂无数据：请授权关联健康码',
  en: 'No data yet: authorize to link your health code',
};

/** Station used for "rules in force now" on the rider's screen: the network-wide version. */
const NETWORK = '__network__';

@Injectable()
export class RidersService {
  constructor(
    private readonly repo: RidersRepository,
    private readonly authority: AuthorityClient,
    private readonly consents: ConsentDirectory,
    private readonly proofs: IdentityProofs,
    private readonly riderFacts: RiderFactsService,
    private readonly rideCodes: RideCodeService,
    private readonly rules: RulesService,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Sends the rider to the authority's sign-in; the rider id is the account (token subject). */
  startProof(riderId: string, purpose: ProofPurpose): { authorizeUrl: string; state: string } {
    if (!UUID.test(riderId))
      throw new AppError('VALIDATION_FAILED', 'the rider token subject must be a UUID');
    return this.proofs.start(riderId, purpose);
  }

  /**
   * Real-name registration of the person who signed in at the authority for this account. When
   * they also granted the health linkage there, it is linked at once.
   */
  async register(riderId: string, code: string, state: string): Promise<string> {
    if (!UUID.test(riderId))
      throw new AppError('VALIDATION_FAILED', 'the rider token subject must be a UUID');
    const proved = await this.proofs.complete(riderId, 'register', code, state);
    const existing = await this.repo.find(riderId);
    if (existing) {
      await this.confirmSame(riderId, existing.idHash, proved);
      if (proved.consentId) await this.linkConsent(riderId, proved.consentId);
      return riderId;
    }
    const hashes = proved.previousIdHash ? [proved.idHash, proved.previousIdHash] : [proved.idHash];
    const { displacedConsents } = await this.repo
      .createProved(riderId, proved.idHash, hashes)
      .catch(async (e: unknown) => {
        if (proved.consentId) await this.dropConsent(proved.consentId);
        if ((e as { code?: string }).code === '23505')
          throw new AppError('RIDER_EXISTS', 'this person registered at the same moment elsewhere');
        throw e;
      });
    for (const consentId of displacedConsents) await this.dropConsent(consentId);
    if (proved.consentId) await this.linkConsent(riderId, proved.consentId);
    return riderId;
  }

  /** The health linkage, granted by the registered person themselves at the authority. */
  async authorize(riderId: string, code: string, state: string): Promise<void> {
    const rider = await this.repo.find(riderId);
    if (!rider) throw new AppError('RIDER_NOT_FOUND', 'no such rider');
    const proved = await this.proofs.complete(riderId, 'authorize', code, state);
    await this.confirmSame(riderId, rider.idHash, proved);
    if (!proved.consentId)
      throw new AppError('IDENTITY_PROOF_INVALID', 'the sign-in granted no health linkage');
    await this.linkConsent(riderId, proved.consentId);
  }

  /** The account's registered person must be the one who signed in; else nothing is kept. */
  private async confirmSame(
    riderId: string,
    stored: Buffer,
    proved: ProvedIdentity,
  ): Promise<void> {
    const same = sameIdentity(stored, proved);
    if (same === null) {
      if (proved.consentId) await this.dropConsent(proved.consentId);
      throw new AppError(
        'IDENTITY_MISMATCH',
        'the person who signed in is not the person registered to this account',
      );
    }
    // Key rotation: the person proved themselves again, so move them to the current key.
    if (same === 'previous') await this.repo.rehash(riderId, proved.idHash);
  }

  private async linkConsent(riderId: string, consentId: string): Promise<void> {
    const previous = await this.repo.consentOf(riderId);
    await this.repo.link(riderId, consentId);
    this.consents.linked(riderId, consentId);
    if (previous && previous !== consentId) await this.dropConsent(previous);
  }

  /** Takes effect at once: the link row goes, the authority revokes, every instance evicts. */
  async revoke(riderId: string): Promise<void> {
    const consentId = await this.repo.unlink(riderId);
    if (consentId) await this.dropConsent(consentId);
  }

  async statusScreen(riderId: string): Promise<StatusScreenDto> {
    const consentId = await this.repo.consentOf(riderId);
    if (!consentId) return this.noDataYet(riderId);
    const startedAt = performance.now();
    const fetchedAt = this.clock.now();
    const status = await this.authority.status(consentId, 3_000);
    // Revoked at the authority (by the person there): no data, as before any authorization.
    if (!status) return this.noDataYet(riderId);
    const now = this.clock.now();
    // The screen shows the ride code next: its taps use this read rather than another.
    this.riderFacts.warmWith(consentId, toFacts(status), startedAt, fetchedAt, this.codeEnd(now));
    const { rules } = this.rules.governing(NETWORK, now);
    const sampled = status.latestNegativeSampledAt
      ? parseInstant(status.latestNegativeSampledAt)
      : null;
    const endsAt = sampled === null ? null : testWindowEndsAt(sampled, rules.testWindowHours);
    return {
      linkage: 'linked',
      notice: null,
      colour: status.colour,
      latestTest: status.latestTest,
      latestNegativeSampledAt: status.latestNegativeSampledAt,
      windowHours: rules.testWindowHours,
      hoursLeft:
        endsAt === null ? null : Math.max(0, Math.round(((endsAt - now) / 3_600_000) * 10) / 10),
      windowEndsAt: endsAt === null ? null : formatShanghai(endsAt),
      policyVersion: rules.id,
    };
  }

  /** The screen's answer before any authorization: what to do, not an error. */
  private async noDataYet(riderId: string): Promise<StatusScreenDto> {
    if (!(await this.repo.find(riderId))) throw new AppError('RIDER_NOT_FOUND', 'no such rider');
    const { rules } = this.rules.governing(NETWORK, this.clock.now());
    return {
      linkage: 'not-authorized',
      notice: NO_DATA_YET,
      colour: null,
      latestTest: null,
      latestNegativeSampledAt: null,
      windowHours: rules.testWindowHours,
      hoursLeft: null,
      windowEndsAt: null,
      policyVersion: rules.id,
    };
  }

  /** The rider's own check-ins within the retention period, newest first. */
  async checkIns(riderId: string, limit: number): Promise<RiderCheckInsDto> {
    if (!(await this.repo.find(riderId))) throw new AppError('RIDER_NOT_FOUND', 'no such rider');
    const since = new Date(this.clock.now() - this.config.retentionDays * 86_400_000);
    const rows = await this.repo.recentCheckIns(riderId, since, limit);
    return {
      checkIns: rows.map((r) => ({
        checkInId: r.id,
        checkedInAt: formatShanghai(r.checkedInAt.getTime()),
        stationId: r.stationId,
        gateId: r.gateId,
        via: r.medium === null ? 'ride-code' : (r.medium.split(':')[0] ?? 'other'),
      })),
    };
  }

  /**
   * Erases the registration (PIPL Art. 47): the consent is revoked at the authority and evicted
   * everywhere, card links and the identity hash go; check-ins stay until retention for tracing.
   */
  async erase(riderId: string): Promise<RegistrationErasedDto> {
    const erased = await this.repo.erase(riderId);
    if (!erased) throw new AppError('RIDER_NOT_FOUND', 'no such rider');
    if (erased.consentId) await this.dropConsent(erased.consentId);
    return {
      consentRevoked: erased.consentId !== null,
      cardsUnlinked: erased.cardsUnlinked,
      checkInsKeptUntilRetention: true,
    };
  }

  async rideCode(riderId: string): Promise<{ code: string; expiresAt: string }> {
    if (!(await this.repo.find(riderId))) throw new AppError('RIDER_NOT_FOUND', 'no such rider');
    const { code, expiresAt } = await this.rideCodes.mint(riderId, this.clock.now());
    // Not awaited: the code never waits for the authority, and a tap before the read lands
    // simply looks up as a cold one does.
    void this.riderFacts.warm(riderId, expiresAt);
    return { code, expiresAt: formatShanghai(expiresAt) };
  }

  /** When a code minted at `now` expires. */
  private codeEnd(now: number): number {
    return now + this.config.rideCodeTtlSeconds * 1000;
  }

  private async dropConsent(consentId: string): Promise<void> {
    this.riderFacts.forget(consentId);
    this.nc.publish(EVENTS.riderRevoked, JSON.stringify({ consentId }));
    await this.authority.revokeConsent(consentId).catch(() => undefined);
  }
}
