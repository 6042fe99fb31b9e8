import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Decision } from '@app/decision';
import { LONG_ID_PATTERN } from '@app/protocol';
import type { Clock } from '../common/clock';
import { AppError } from '../common/errors';
import type { Logger } from '../common/logger';
import { CLOCK, LOGGER } from '../common/tokens';
import type { ShadowReportDto } from './rules.dto';
import { RulesRepository } from './rules.repository';
import { RulesService } from './rules.service';
import { encodeKey, shadowDecide, shadowKey, summarize, type LiveTap } from './shadow';
import { ShadowCountsRepository, type ShadowCount } from './shadow-counts.repository';
import { recordView } from './version-view';

export const SHADOW_FLUSH_MS = 2_000;

/**
 * Shadow rollout: each live entry tap is also decided, in memory, under every scheduled
 * version that will govern its station. Only aggregate counts are kept and flushed.
 */
@Injectable()
export class RuleShadowService implements OnModuleInit, OnApplicationShutdown {
  private deltas = new Map<string, ShadowCount>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly rules: RulesService,
    private readonly versions: RulesRepository,
    private readonly counts: ShadowCountsRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), SHADOW_FLUSH_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** Called after each live decision; never throws and never delays the reply. */
  observe(stationId: string, tap: LiveTap, live: Decision): void {
    if (tap.mode !== 'entry') return;
    try {
      for (const pending of this.rules.pendingFor(stationId, tap.now)) {
        const key = shadowKey(pending.id, stationId, live, shadowDecide(tap, pending));
        const k = encodeKey(key);
        const c = this.deltas.get(k);
        if (c) c.taps += 1;
        else this.deltas.set(k, { ...key, taps: 1 });
      }
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'shadow evaluation failed');
    }
  }

  /** Writes the counts gathered since the last flush; on failure keeps them for the next. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.deltas.size === 0) return;
      const batch = [...this.deltas.values()];
      this.deltas = new Map();
      try {
        await this.counts.add(batch);
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'shadow count flush failed; will retry');
        for (const c of batch) {
          const k = encodeKey(c);
          const cur = this.deltas.get(k);
          if (cur) cur.taps += c.taps;
          else this.deltas.set(k, c);
        }
      }
    });
    return this.flushing;
  }

  /** Totals across instances (each flushes every 2 s; this one flushes first). */
  async report(versionId: string): Promise<ShadowReportDto> {
    const rec = LONG_ID_PATTERN.test(versionId) ? await this.versions.version(versionId) : null;
    if (!rec) throw new AppError('NOT_FOUND', `no rule version ${versionId}`);
    await this.flush();
    const rows = await this.counts.forVersion(versionId);
    return {
      version: recordView(rec),
      pending: rec.cancelledAt === null && rec.version.effectiveFrom > this.clock.now(),
      stations: summarize(rows),
    };
  }
}
