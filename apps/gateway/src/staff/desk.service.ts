import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@app/access-token';
import { formatShanghai } from '@app/protocol';
import { AdmissionBatcher } from '../admissions/admission.batcher';
import { AppError } from '../common/errors';
import type { Clock } from '../common/clock';
import { CLOCK, CONFIG } from '../common/tokens';
import type { GatewayConfig } from '../config';
import { hashIdNumber } from '../riders/id-hash';
import { RulesService } from '../rules/rules.service';
import { StaffAuditService } from './audit.service';
import { PassesRepository } from './passes.repository';
import type { IssuePassDto, PassDto, RegisteredDto, RegistrationDto } from './staff.dto';

/** The desk's "gate" in check-ins and receipts. */
export const DESK_GATE = 'desk';

/** Manual registration (the venue check-in) and one-time passes. */
@Injectable()
export class DeskService {
  constructor(
    private readonly admissions: AdmissionBatcher,
    private readonly passes: PassesRepository,
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
    const { rules, hash } = this.rules.governing(stationId, now);
    const tapId = `desk-${randomUUID()}`;
    const checkInId = randomUUID();
    const result = await this.admissions.submit({
      stationId,
      gateId: DESK_GATE,
      tapId,
      mode: 'entry',
      traveller: `desk:${tapId}`,
      riderId: null,
      medium: dto.mediumNo ? `desk:${dto.evidence}:${dto.mediumNo}` : `desk:${dto.evidence}`,
      jti: null,
      jtiExpiresAt: null,
      checkInId,
      decidedAt: now,
      policyVersion: rules.id,
      policyHash: hash,
      personKey: dto.idNumber ? hashIdNumber(this.config.idHashKey, dto.idNumber) : null,
      venueOnly: true,
    });
    if (result.kind !== 'admitted') {
      await this.audit.record(staff, stationId, 'registration', dto.evidence, 'unavailable');
      throw new AppError('CHECK_IN_UNAVAILABLE', 'the check-in could not be recorded; try again');
    }
    await this.audit.record(
      staff,
      stationId,
      'registration',
      dto.evidence,
      'registered',
      checkInId,
    );
    return { checkInId, checkedInAt: formatShanghai(now) };
  }

  async issuePass(staff: Principal, stationId: string, dto: IssuePassDto): Promise<PassDto> {
    const bindings = [
      dto.cardNo !== undefined ? `card:${dto.cardNo}` : null,
      dto.ticketNo !== undefined ? `ticket:${dto.ticketNo}` : null,
      dto.gateId !== undefined ? `gate:${dto.gateId}` : null,
    ].filter((b): b is string => b !== null);
    if (bindings.length !== 1)
      throw new AppError('VALIDATION_FAILED', 'give exactly one of cardNo, ticketNo or gateId');
    const boundTo = bindings[0];
    const now = this.clock.now();
    const expiresAt = now + dto.expiresInMinutes * 60_000;
    const passId = randomUUID();
    await this.passes.issue({
      id: passId,
      stationId,
      boundTo,
      boundKind: boundTo.startsWith('gate:') ? 'gate' : 'medium',
      issuedBy: staff.sub,
      issuedAt: new Date(now),
      expiresAt: new Date(expiresAt),
    });
    await this.audit.record(staff, stationId, 'one-time-pass', dto.evidence, 'issued', passId);
    return { passId, boundTo, expiresAt: formatShanghai(expiresAt) };
  }
}
