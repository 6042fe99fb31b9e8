import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import { testWindowEndsAt } from '@app/decision';
import { EVENTS, formatShanghai, parseInstant } from '@app/protocol';
import { AppError } from '../common/errors';
import type { Clock } from '../common/clock';
import { CLOCK, CONFIG, NATS } from '../common/tokens';
import type { GatewayConfig } from '../config';
import { AuthorityClient, toFacts } from '../health-link/authority.client';
import { RiderFactsService } from '../cards/rider-facts.service';
import { RideCodeService } from '../ride-code/ride-code.service';
import { RulesService } from '../rules/rules.service';
import { ConsentDirectory } from './consent-directory';
import { hashIdNumber } from './id-hash';
import { RidersRepository } from './riders.repository';
import type { StatusScreenDto } from './riders.dto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Station used for "rules in force now" on the rider's screen: the network-wide version. */
const NETWORK = '__network__';

@Injectable()
export class RidersService {
  constructor(
    private readonly repo: RidersRepository,
    private readonly authority: AuthorityClient,
    private readonly consents: ConsentDirectory,
    private readonly riderFacts: RiderFactsService,
    private readonly rideCodes: RideCodeService,
    private readonly rules: RulesService,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The rider id is the app account's id (the token subject), which must be a UUID. */
  async register(riderId: string, name: string, idNumber: string): Promise<string> {
    if (!UUID.test(riderId))
      throw new AppError('VALIDATION_FAILED', 'the rider token subject must be a UUID');
    const previous = this.previousHash(idNumber);
    const taken = previous !== null && (await this.repo.existsByHash(previous));
    const id = taken
      ? null
      : await this.repo.create(riderId, name, hashIdNumber(this.config.idHashKey, idNumber));
    if (id === null)
      throw new AppError('RIDER_EXISTS', 'a rider with this ID number is already registered');
    return id;
  }

  async authorize(riderId: string, idNumber: string): Promise<void> {
    const rider = await this.repo.find(riderId);
    if (!rider) throw new AppError('RIDER_NOT_FOUND', 'no such rider');
    const current = hashIdNumber(this.config.idHashKey, idNumber);
    const old = this.previousHash(idNumber);
    if (!timingSafeEqual(rider.idHash, current)) {
      if (old === null || !timingSafeEqual(rider.idHash, old)) {
        throw new AppError('ID_NUMBER_MISMATCH', 'idNumber does not match the registered rider');
      }
      // Key rotation: the rider re-entered the number, so move them to the current key.
      await this.repo.rehash(riderId, current);
    }
    const consentId = await this.authority.createConsent(idNumber);
    const previous = await this.repo.consentOf(riderId);
    await this.repo.link(riderId, consentId);
    this.consents.linked(riderId, consentId);
    if (previous && previous !== consentId) await this.dropConsent(previous);
  }

  private previousHash(idNumber: string): Buffer | null {
    const key = this.config.idHashKeyPrevious;
    return key === null ? null : hashIdNumber(key, idNumber);
  }

  /** Takes effect at once: the link row goes, the authority revokes, every instance evicts. */
  async revoke(riderId: string): Promise<void> {
    const consentId = await this.repo.unlink(riderId);
    if (consentId) await this.dropConsent(consentId);
  }

  async statusScreen(riderId: string): Promise<StatusScreenDto> {
    const consentId = await this.repo.consentOf(riderId);
    if (!consentId)
      throw new AppError('NOT_AUTHORIZED', 'the rider has not authorized the health linkage');
    const startedAt = performance.now();
    const fetchedAt = this.clock.now();
    const status = await this.authority.status(consentId, 3_000);
    if (!status) throw new AppError('NOT_AUTHORIZED', 'the health linkage has been revoked');
    const now = this.clock.now();
    // The screen shows the ride code next: its taps use this read rather than another.
    this.riderFacts.warmWith(consentId, toFacts(status), startedAt, fetchedAt, this.codeEnd(now));
    const { rules } = this.rules.governing(NETWORK, now);
    const sampled = status.latestNegativeSampledAt
      ? parseInstant(status.latestNegativeSampledAt)
      : null;
    const endsAt = sampled === null ? null : testWindowEndsAt(sampled, rules.testWindowHours);
    return {
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
