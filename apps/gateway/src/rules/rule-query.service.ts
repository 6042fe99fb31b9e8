import { Inject, Injectable } from '@nestjs/common';
import { ID_PATTERN, LONG_ID_PATTERN, formatShanghai, mustMatch } from '@app/protocol';
import type { Clock } from '../common/clock';
import { AppError } from '../common/errors';
import { CLOCK } from '../common/tokens';
import type { AuditEntryDto, RuleVersionDto, StationTimelineDto } from './rules.dto';
import { RulesRepository } from './rules.repository';
import { RulesService } from './rules.service';
import { recordView, versionView } from './version-view';

/** Read side for the operator: timelines from this instance's memory, versions and audit from PostgreSQL. */
@Injectable()
export class RuleQueryService {
  constructor(
    private readonly repo: RulesRepository,
    private readonly rules: RulesService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  timeline(stationId: string): StationTimelineDto {
    if (!ID_PATTERN.test(stationId))
      throw new AppError('VALIDATION_FAILED', mustMatch('stationId', ID_PATTERN));
    const now = this.clock.now();
    const station = this.rules.station(stationId);
    return {
      stationId,
      recorded: this.rules.isRecorded(stationId),
      lines: [...station.lines],
      now: formatShanghai(now),
      entries: this.rules.timelineFor(stationId).map((e) => ({
        version: versionView(e.version, this.rules.hashOf(e.version.id) ?? 'unknown'),
        from: formatShanghai(e.from),
        until: e.until === null ? null : formatShanghai(e.until),
        state:
          e.until !== null && e.until <= now ? 'past' : e.from <= now ? 'in-force' : 'scheduled',
      })),
    };
  }

  /** Any version ever scheduled, cancelled ones too: explains a check-in's policy_version. */
  async version(id: string): Promise<RuleVersionDto> {
    const rec = LONG_ID_PATTERN.test(id) ? await this.repo.version(id) : null;
    if (!rec) throw new AppError('NOT_FOUND', `no rule version ${id}`);
    return recordView(rec);
  }

  async audit(versionId: string | undefined, limit: number | undefined): Promise<AuditEntryDto[]> {
    const rows = await this.repo.auditTrail(versionId ?? null, limit ?? 100);
    return rows.map((r) => ({
      ...r,
      at: formatShanghai(r.at),
      before: r.before as RuleVersionDto | null,
      after: r.after as RuleVersionDto | null,
    }));
  }
}
