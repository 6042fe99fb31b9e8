import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@app/access-token';
import { formatShanghai } from '@app/protocol';
import { CONFIG } from '../common/tokens';
import type { GatewayConfig } from '../config';
import { parseWindow } from './window';
import { hashIdNumber } from '../riders/id-hash';
import { CheckinsRepository, type TracedRow } from './checkins.repository';
import type { TracePath, TraceQueryDto, TraceResultDto } from './checkins.dto';

/** Where the desk records its registrations (DeskService's gate id). */
const DESK_GATE = 'desk';
const SENTINEL_MEDIA = new Set(['id-card', 'relative-code', 'health-code']);
const TICKET = /^(day-ticket|companion-ticket|single-journey|ticket):/;

/** How a check-in was made, from what the row says about it. */
export function pathOf(r: Pick<TracedRow, 'gateId' | 'medium' | 'riderId'>): TracePath {
  if (r.gateId === DESK_GATE) return 'desk';
  if (r.medium === null) return 'ride-code';
  if (SENTINEL_MEDIA.has(r.medium)) return 'sentinel';
  if (r.medium.startsWith('card:')) return 'card';
  if (TICKET.test(r.medium)) return 'ticket';
  // A medium the gateway did not write: say the nearest truthful thing.
  return r.riderId !== null ? 'ride-code' : 'desk';
}

/**
 * The health authority's per-person trace: an ID number and a window in, that person's
 * check-ins on every path out. The number is hashed at once (with the previous key too while
 * keys rotate) and never stored; the audit row keeps the hash, the window and the count, and
 * without it nothing is returned.
 */
@Injectable()
export class TraceService {
  constructor(
    private readonly repo: CheckinsRepository,
    @Inject(CONFIG) private readonly config: GatewayConfig,
  ) {}

  async trace(who: Principal, q: TraceQueryDto): Promise<TraceResultDto> {
    const deadlineAt = Date.now() + this.config.exportDeadlineMs;
    const { from, to } = parseWindow(q.from, q.to);
    const limit = q.limit ?? 1000;
    const personKey = hashIdNumber(this.config.idHashKey, q.idNumber);
    const previous = this.config.idHashKeyPrevious;
    const personKeys =
      previous === null ? [personKey] : [personKey, hashIdNumber(previous, q.idNumber)];
    const rows = await this.repo.trace(
      { personKeys, from: new Date(from), to: new Date(to), limit: limit + 1 },
      deadlineAt,
    );
    const page = rows.slice(0, limit);
    // No audit row, no answer.
    await this.repo.auditTrace({
      actor: who.sub,
      actorRole: who.role,
      personKey,
      from: new Date(from),
      to: new Date(to),
      rowCount: page.length,
    });
    return {
      checkIns: page.map((r) => ({
        checkInId: r.id,
        checkedInAt: formatShanghai(r.checkedInAt.getTime()),
        stationId: r.stationId,
        gateId: r.gateId,
        path: pathOf(r),
        medium: r.medium,
        policyVersion: r.policyVersion,
        policyHash: r.policyHash,
      })),
      truncated: rows.length > limit,
    };
  }
}
