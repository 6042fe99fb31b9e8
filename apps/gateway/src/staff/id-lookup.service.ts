import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@app/access-token';
import { healthReasons } from '@app/decision';
import { formatShanghai } from '@app/protocol';
import { AppError } from '../common/errors';
import type { Clock } from '../common/clock';
import { CLOCK } from '../common/tokens';
import { AuthorityClient, toFacts } from '../health-link/authority.client';
import { RulesService } from '../rules/rules.service';
import { StaffAuditService } from './audit.service';
import type { IdLookupResultDto } from './staff.dto';

/** The status may be shown for this long, and is never stored. */
export const LOOKUP_DISPLAY_MS = 10_000;

/** Tianfu ID-number lookup at the desk, with the rider present. */
@Injectable()
export class IdLookupService {
  constructor(
    private readonly authority: AuthorityClient,
    private readonly rules: RulesService,
    private readonly audit: StaffAuditService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async lookup(staff: Principal, stationId: string, idNumber: string): Promise<IdLookupResultDto> {
    const now = this.clock.now();
    let health;
    try {
      health = await this.authority.lookupIdNumber(idNumber, 'staff-desk', 3_000);
    } catch (e) {
      await this.audit.record(staff, stationId, 'id-lookup', 'id-number', 'unavailable');
      throw e;
    }
    // The audit says a lookup happened, never what it showed.
    await this.audit.record(
      staff,
      stationId,
      'id-lookup',
      'id-number',
      health ? 'shown' : 'not-found',
    );
    if (health === null)
      throw new AppError('NOT_FOUND', 'the health-code service has no such person');
    const { rules } = this.rules.governing(stationId, now);
    return {
      found: true,
      colour: health.colour,
      latestNegativeSampledAt: health.latestNegativeSampledAt,
      reasons: healthReasons(toFacts(health), rules, now),
      displayUntil: formatShanghai(now + LOOKUP_DISPLAY_MS),
    };
  }
}
