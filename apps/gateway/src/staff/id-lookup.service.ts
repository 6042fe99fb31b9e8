import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@app/access-token';
import { healthReasons } from '@app/decision';
import { formatShanghai } from '@app/protocol';
import { AppError } from '../common/errors';
import type { Clock } from '../common/clock';
import { CLOCK } from '../common/tokens';
import { AuthorityClient, toFacts } from '../health-link/authority.client';
import { IdLookupLimiter, refusedLookup } from '../id-lookups/id-lookup-limiter';
import { RulesService } from '../rules/rules.service';
import { VerificationLog } from './verification-log.service';
import type { IdLookupResultDto } from './staff.dto';

/** The status may be shown for this long, and is never stored. */
export const LOOKUP_DISPLAY_MS = 10_000;

/** Tianfu ID-number lookup at the desk, with the rider present. */
@Injectable()
export class IdLookupService {
  constructor(
    private readonly authority: AuthorityClient,
    private readonly rules: RulesService,
    private readonly log: VerificationLog,
    private readonly limiter: IdLookupLimiter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async lookup(staff: Principal, stationId: string, idNumber: string): Promise<IdLookupResultDto> {
    const now = this.clock.now();
    const { rules } = this.rules.governing(stationId, now);
    const entry = { stationId, evidence: 'id-number', policyVersion: rules.id, idNumber };
    const allowed = await this.limiter.admit(
      { kind: 'staff', staffId: staff.sub, stationId },
      idNumber,
    );
    if (!allowed.ok) {
      await this.log.record(staff, 'id-lookup', { ...entry, verdict: 'rate-limited' });
      throw refusedLookup(allowed.retryAfterSeconds);
    }
    let health;
    try {
      health = await this.authority.lookupIdNumber(idNumber, 'staff-desk', 3_000);
    } catch (e) {
      await this.log.record(staff, 'id-lookup', { ...entry, verdict: 'unavailable' });
      throw e;
    }
    if (health === null) {
      const { id } = await this.log.record(staff, 'id-lookup', { ...entry, verdict: 'not-found' });
      throw new AppError('NOT_FOUND', 'the health-code service has no such person', {
        verificationId: id,
      });
    }
    // The record says a lookup happened and its verdict, never what it showed.
    const reasons = healthReasons(toFacts(health), rules, now);
    const pass = reasons.length === 0;
    const { id, usableUntil } = await this.log.record(staff, 'id-lookup', {
      ...entry,
      verdict: pass ? 'pass' : 'fail',
    });
    return {
      verificationId: id,
      pass,
      found: true,
      colour: health.colour,
      latestNegativeSampledAt: health.latestNegativeSampledAt,
      reasons,
      displayUntil: formatShanghai(now + LOOKUP_DISPLAY_MS),
      ...(pass ? { usableUntil: formatShanghai(usableUntil) } : {}),
    };
  }
}
