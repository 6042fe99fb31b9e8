import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@app/access-token';
import type { Clock } from '../common/clock';
import { CLOCK, CONFIG } from '../common/tokens';
import type { GatewayConfig } from '../config';
import { hashIdNumber } from '../riders/id-hash';
import { StaffAuditService } from './audit.service';
import { VerificationsRepository } from './verifications.repository';

/** How long a passing verification may justify a registration or a pass. */
export const VERIFICATION_USABLE_MS = 30 * 60_000;

export interface VerificationEntry {
  stationId: string;
  evidence: string;
  /** `pass`, `fail`, or the error code the check ended in (kebab-case). */
  verdict: string;
  policyVersion: string;
  /** The ID number the check was about, if it read one; only its keyed hash is kept. */
  idNumber?: string | null;
}

/**
 * The one place a desk check is written down: a verification row with an id, and the staff
 * audit row that names it. Neither holds a health value or a clear ID number.
 */
@Injectable()
export class VerificationLog {
  constructor(
    private readonly repo: VerificationsRepository,
    private readonly audit: StaffAuditService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** Records the check; returns its id and until when it may justify a registration or a pass. */
  async record(
    staff: Principal,
    act: 'verify' | 'id-lookup',
    e: VerificationEntry,
  ): Promise<{ id: string; usableUntil: number }> {
    const id = randomUUID();
    const at = this.clock.now();
    await this.repo.record({
      id,
      at,
      stationId: e.stationId,
      staffId: staff.sub,
      evidence: e.evidence,
      verdict: e.verdict,
      policyVersion: e.policyVersion,
      personKey: e.idNumber ? hashIdNumber(this.config.idHashKey, e.idNumber) : null,
    });
    await this.audit.record(staff, e.stationId, act, e.evidence, e.verdict, null, id);
    return { id, usableUntil: at + VERIFICATION_USABLE_MS };
  }
}
