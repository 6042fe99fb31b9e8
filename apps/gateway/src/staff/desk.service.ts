import { randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@app/access-token';
import { formatShanghai } from '@app/protocol';
import { AdmissionBatcher } from '../admissions/admission.batcher';
import { AppError } from '../common/errors';
import type { Clock } from '../common/clock';
import { CLOCK, CONFIG } from '../common/tokens';
import type { GatewayConfig } from '../config';
import { RideCodeService } from '../ride-code/ride-code.service';
import { hashIdNumber } from '../riders/id-hash';
import { RidersRepository } from '../riders/riders.repository';
import { RulesService } from '../rules/rules.service';
import { StaffAuditService } from './audit.service';
import { PassesRepository } from './passes.repository';
import type { IssuePassDto, PassDto, RegisteredDto, RegistrationDto } from './staff.dto';
import { VERIFICATION_USABLE_MS } from './verification-log.service';
import { VerificationsRepository, type Verification } from './verifications.repository';
import { UNAVAILABLE, type Unavailable } from '@app/decision';

/** The desk's "gate" in check-ins and receipts. */
export const DESK_GATE = 'desk';

/** What a pass opens: one medium, the next card or ticket tap at a gate, or a rider's next entry. */
type Binding = { kind: 'medium' | 'gate' | 'rider'; to: string };

/**
 * Manual registration (the venue check-in) and one-time passes. Each names a verification
 * that passed at this station within VERIFICATION_USABLE_MS; a verification justifies at
 * most one registration and at most one pass.
 */
@Injectable()
export class DeskService {
  constructor(
    private readonly admissions: AdmissionBatcher,
    private readonly passes: PassesRepository,
    private readonly verifications: VerificationsRepository,
    private readonly rideCodes: RideCodeService,
    private readonly riders: RidersRepository,
    private readonly rules: RulesService,
    private readonly audit: StaffAuditService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** Writes the venue check-in through the same group commit as a gate tap. */
  async register(
    staff: Principal,
    stationId: string,
    dto: RegistrationDto,
  ): Promise<RegisteredDto> {
    const now = this.clock.now();
    const v = await this.usable(staff, stationId, 'registration', dto.verificationId, now);
    const named = dto.idNumber ? hashIdNumber(this.config.idHashKey, dto.idNumber) : null;
    if (named !== null && v.personKey !== null && !timingSafeEqual(named, v.personKey))
      await this.refuse(staff, stationId, 'registration', v, 'VERIFICATION_OTHER_PERSON');
    const { rules, hash } = this.rules.governing(stationId, now);
    const tapId = `desk-${randomUUID()}`;
    const checkInId = randomUUID();
    if (!(await this.verifications.takeForRegistration(v.id, checkInId)))
      await this.refuse(staff, stationId, 'registration', v, 'VERIFICATION_USED');
    const result = await this.admissions
      .submit(
        {
          stationId,
          gateId: DESK_GATE,
          tapId,
          mode: 'entry',
          traveller: `desk:${tapId}`,
          riderId: null,
          medium: dto.mediumNo ? `desk:${v.evidence}:${dto.mediumNo}` : `desk:${v.evidence}`,
          jti: null,
          jtiExpiresAt: null,
          checkInId,
          decidedAt: now,
          policyVersion: rules.id,
          policyHash: hash,
          personKey: named ?? v.personKey,
          venueOnly: true,
        },
        // A desk registration is bounded like a tap, from when it reached the commit.
        performance.now() + this.config.tapDeadlineMs,
      )
      .catch((): Unavailable => UNAVAILABLE);
    if (result.kind !== 'admitted') {
      await this.verifications.giveBack(v.id, checkInId);
      await this.audit.record(
        staff,
        stationId,
        'registration',
        v.evidence,
        'unavailable',
        null,
        v.id,
      );
      throw new AppError('CHECK_IN_UNAVAILABLE', 'the check-in could not be recorded; try again');
    }
    await this.audit.record(
      staff,
      stationId,
      'registration',
      v.evidence,
      'registered',
      checkInId,
      v.id,
    );
    return { checkInId, checkedInAt: formatShanghai(now), verificationId: v.id };
  }

  async issuePass(staff: Principal, stationId: string, dto: IssuePassDto): Promise<PassDto> {
    const now = this.clock.now();
    const binding = await this.bindingOf(dto, now);
    const v = await this.usable(staff, stationId, 'one-time-pass', dto.verificationId, now);
    if (binding.kind === 'rider' && v.personKey !== null) {
      // Evidence about one person does not clear another person's account.
      const rider = await this.riders.find(binding.to.slice('rider:'.length));
      if (rider && !timingSafeEqual(rider.idHash, v.personKey))
        await this.refuse(staff, stationId, 'one-time-pass', v, 'VERIFICATION_OTHER_PERSON');
    }
    const expiresAt = now + dto.expiresInMinutes * 60_000;
    const passId = randomUUID();
    const issued = await this.passes.issue({
      id: passId,
      stationId,
      boundTo: binding.to,
      boundKind: binding.kind,
      issuedBy: staff.sub,
      issuedAt: new Date(now),
      expiresAt: new Date(expiresAt),
      verificationId: v.id,
    });
    if (!issued) await this.refuse(staff, stationId, 'one-time-pass', v, 'VERIFICATION_USED');
    await this.audit.record(staff, stationId, 'one-time-pass', v.evidence, 'issued', passId, v.id);
    return {
      passId,
      boundTo: binding.to,
      expiresAt: formatShanghai(expiresAt),
      verificationId: v.id,
    };
  }

  /** Exactly one of card, ticket, gate, rider id, or a ride code scanned at the desk. */
  private async bindingOf(dto: IssuePassDto, now: number): Promise<Binding> {
    const given = [dto.cardNo, dto.ticketNo, dto.gateId, dto.riderId, dto.rideCode].filter(
      (x) => x !== undefined,
    );
    if (given.length !== 1)
      throw new AppError(
        'VALIDATION_FAILED',
        'give exactly one of cardNo, ticketNo, gateId, riderId or rideCode',
      );
    if (dto.cardNo !== undefined) return { kind: 'medium', to: `card:${dto.cardNo}` };
    if (dto.ticketNo !== undefined) return { kind: 'medium', to: `ticket:${dto.ticketNo}` };
    if (dto.gateId !== undefined) return { kind: 'gate', to: `gate:${dto.gateId}` };
    let riderId = dto.riderId;
    if (dto.rideCode !== undefined) {
      // The code only says whose account this is; it is not spent, so the rider rides with it.
      const verified = await this.rideCodes.verify(dto.rideCode, now);
      if (verified.status === 'invalid')
        throw new AppError('CODE_INVALID', 'the ride code is not genuine');
      if (verified.status === 'expired')
        throw new AppError(
          'CODE_EXPIRED',
          'the ride code has expired: ask the rider to refresh it',
        );
      riderId = verified.claims.sub;
    }
    if (riderId === undefined || !(await this.riders.find(riderId)))
      throw new AppError('RIDER_NOT_FOUND', 'no such rider');
    return { kind: 'rider', to: `rider:${riderId}` };
  }

  /** The named verification, if it passed at this station and is recent enough to rely on. */
  private async usable(
    staff: Principal,
    stationId: string,
    act: 'registration' | 'one-time-pass',
    id: string,
    now: number,
  ): Promise<Verification> {
    const v = await this.verifications.find(id);
    if (v === null || v.stationId !== stationId) {
      await this.audit.record(staff, stationId, act, null, 'verification-not-found', null, null);
      throw new AppError('VERIFICATION_NOT_FOUND', `no verification ${id} at station ${stationId}`);
    }
    if (v.verdict !== 'pass')
      await this.refuse(staff, stationId, act, v, 'VERIFICATION_NOT_PASSED');
    if (now >= v.at + VERIFICATION_USABLE_MS || now < v.at)
      await this.refuse(staff, stationId, act, v, 'VERIFICATION_EXPIRED');
    if (act === 'registration' && v.registrationCheckIn !== null)
      await this.refuse(staff, stationId, act, v, 'VERIFICATION_USED');
    return v;
  }

  private async refuse(
    staff: Principal,
    stationId: string,
    act: 'registration' | 'one-time-pass',
    v: Verification,
    code:
      | 'VERIFICATION_NOT_PASSED'
      | 'VERIFICATION_EXPIRED'
      | 'VERIFICATION_USED'
      | 'VERIFICATION_OTHER_PERSON',
  ): Promise<never> {
    const outcome = code.toLowerCase().replace(/_/g, '-');
    await this.audit.record(staff, stationId, act, v.evidence, outcome, null, v.id);
    throw new AppError(code, REFUSALS[code](v));
  }
}

const REFUSALS = {
  VERIFICATION_NOT_PASSED: (v: Verification) =>
    `verification ${v.id} (${v.evidence}) did not pass: it cannot justify a registration or a pass`,
  VERIFICATION_EXPIRED: (v: Verification) =>
    `verification ${v.id} was made at ${formatShanghai(v.at)}; a verification justifies a registration or a pass for ${VERIFICATION_USABLE_MS / 60_000} minutes: verify again`,
  VERIFICATION_USED: (v: Verification) =>
    `verification ${v.id} already justified one: verify again for another`,
  VERIFICATION_OTHER_PERSON: (v: Verification) =>
    `verification ${v.id} was about another person's ID number`,
};
