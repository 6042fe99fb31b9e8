import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import type { Principal } from '@app/access-token';
import type { RuleVersion } from '@app/decision';
import { ruleVersionHash } from '@app/persistence';
import { EVENTS, formatShanghai } from '@app/protocol';
import type { Clock } from '../common/clock';
import { AppError } from '../common/errors';
import type { Logger } from '../common/logger';
import { CLOCK, CONFIG, LOGGER, NATS } from '../common/tokens';
import type { GatewayConfig } from '../config';
import { checkDraft, type ScheduleInput } from './rule-draft';
import type { RuleVersionDto } from './rules.dto';
import { RulesRepository, type VersionRecord } from './rules.repository';
import { RulesService } from './rules.service';
import { recordView } from './version-view';

/**
 * A schedule or a cancel must reach every instance before the version would take effect: over
 * NATS within a second, or, for an instance that missed the broadcast, by its next
 * reconciliation. Closer than this to its instant it is refused rather than risk a split
 * second where instances disagree.
 */
export const CANCEL_MARGIN_MS = 2_000;
export const propagationMarginMs = (config: GatewayConfig): number =>
  Math.max(CANCEL_MARGIN_MS, config.reconcileIntervalMs + 1_000);

/** A readable, unique id: the Shanghai minute it takes effect plus a random suffix. */
function newVersionId(effectiveFrom: number): string {
  const stamp = formatShanghai(effectiveFrom).slice(0, 16).replace(/[-T:]/g, '');
  return `rv-${stamp}-${randomBytes(4).toString('hex')}`;
}

/** Schedules and cancels: checked and audited in one transaction, then announced. */
@Injectable()
export class RuleScheduleService {
  constructor(
    private readonly repo: RulesRepository,
    private readonly rules: RulesService,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async schedule(input: ScheduleInput, who: Principal): Promise<RuleVersionDto> {
    const created = await this.repo.inTimelineLock(async (tx) => {
      const now = this.clock.now();
      const active = await tx.activeVersions();
      const stations = await tx.stations();
      const lines = await tx.lines();
      const checked = checkDraft(input, {
        now,
        stations,
        lines,
        active: active.map((r) => r.version),
      });
      if (!checked.ok)
        throw new AppError('RULE_REFUSED', checked.refusals.join('; '), {
          refusals: checked.refusals,
        });
      const { effectiveFrom, scope, settings, reason } = checked.draft;
      const margin = propagationMarginMs(this.config);
      if (effectiveFrom - now < margin) {
        const refusal = `effectiveFrom ${formatShanghai(effectiveFrom)} is less than ${margin / 1000} s from now: every instance may not hold it by then; schedule it later`;
        throw new AppError('RULE_REFUSED', refusal, { refusals: [refusal] });
      }
      const id = newVersionId(effectiveFrom);
      const version: RuleVersion = { ...settings, id, effectiveFrom, scope, reason };
      const hash = ruleVersionHash({ id, effectiveFrom, scope, settings, reason });
      const rec = await tx.insertVersion({ version, hash, createdBy: who.sub });
      await tx.audit({
        at: now,
        actor: who.sub,
        actorRole: who.role,
        action: 'schedule',
        versionId: id,
        before: null,
        after: recordView(rec),
      });
      return rec;
    });
    await this.announce(created, 'scheduled');
    return recordView(created);
  }

  async cancel(id: string, who: Principal): Promise<RuleVersionDto> {
    const cancelled = await this.repo.inTimelineLock(async (tx) => {
      const now = this.clock.now();
      const found = await tx.versionForUpdate(id);
      if (!found) throw new AppError('NOT_FOUND', `no rule version ${id}`);
      if (found.cancelledAt !== null)
        throw new AppError(
          'RULE_ALREADY_CANCELLED',
          `version ${id} was already cancelled at ${formatShanghai(found.cancelledAt)}`,
        );
      const at = formatShanghai(found.version.effectiveFrom);
      if (found.version.effectiveFrom <= now)
        throw new AppError(
          'RULE_ALREADY_EFFECTIVE',
          `version ${id} took effect at ${at} and is immutable: schedule a new version instead`,
        );
      const margin = propagationMarginMs(this.config);
      if (found.version.effectiveFrom - now < margin)
        throw new AppError(
          'RULE_ALREADY_EFFECTIVE',
          `version ${id} takes effect at ${at}, less than ${margin / 1000} s from now: too late to cancel on every instance; schedule a new version instead`,
        );
      const rec = await tx.cancel(id, now);
      await tx.audit({
        at: now,
        actor: who.sub,
        actorRole: who.role,
        action: 'cancel',
        versionId: id,
        before: recordView(found),
        after: recordView(rec),
      });
      return rec;
    });
    await this.announce(cancelled, 'cancelled');
    return recordView(cancelled);
  }

  /**
   * After the commit: this instance reloads before it answers; the broadcast asks the others
   * to look now (they would find it at their next reconciliation anyway).
   */
  private async announce(rec: VersionRecord, action: 'scheduled' | 'cancelled'): Promise<void> {
    this.nc.publish(EVENTS.rulesChanged, JSON.stringify({ versionId: rec.version.id, action }));
    this.log.info({ versionId: rec.version.id, action }, 'rule timeline changed');
    try {
      await this.rules.refresh();
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'rule reload after change failed');
    }
  }
}
