import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@app/access-token';
import { formatShanghai } from '@app/protocol';
import type { Clock } from '../common/clock';
import { CLOCK } from '../common/tokens';
import { AuditRepository } from './audit.repository';
import type { AuditRowDto } from './staff.dto';

export type StaffAct = 'verify' | 'registration' | 'one-time-pass' | 'remote-open' | 'id-lookup';

/** Every staff act, who and where and with what evidence; never a health value or an ID number. */
@Injectable()
export class StaffAuditService {
  constructor(
    private readonly repo: AuditRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  record(
    staff: Principal,
    stationId: string,
    act: StaffAct,
    evidence: string | null,
    outcome: string,
    ref: string | null = null,
    verificationId: string | null = null,
  ): Promise<void> {
    return this.repo.append({
      at: new Date(this.clock.now()),
      staffId: staff.sub,
      stationId,
      act,
      evidence,
      outcome,
      ref,
      verificationId,
    });
  }

  async recent(stationId: string, limit: number): Promise<AuditRowDto[]> {
    return (await this.repo.recent(stationId, limit)).map((r) => ({
      ...r,
      at: formatShanghai(r.at),
    }));
  }
}
