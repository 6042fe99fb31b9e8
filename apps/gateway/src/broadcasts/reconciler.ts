import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { RiderFactsService } from '../riders/rider-facts.service';
import type { Logger } from '../common/logger';
import { CONFIG, LOGGER } from '../common/tokens';
import type { GatewayConfig } from '../config';
import { RulesService } from '../rules/rules.service';
import { RevocationsRepository } from './revocations.repository';

/** The revocation log keeps a day; an instance further behind than that starts over. */
export const REVOCATION_LOG_KEEP_MS = 24 * 3_600_000;
const PURGE_EVERY_MS = 10 * 60_000;

/**
 * Broadcasts are hints and can be missed (a dropped connection, a slow consumer, a writer that
 * died between its commit and its publish). PostgreSQL, the system of record, cannot be: every
 * RECONCILE_INTERVAL_MS this instance reads the rule timeline's revision (and reloads when it
 * grew) and the consents revoked since its last look (and forgets them). So a rule change or a
 * revocation committed at T is held by every instance by T + RECONCILE_INTERVAL_MS + one poll,
 * whatever NATS delivered; a broadcast only makes it sooner, by asking for a poll at once.
 */
@Injectable()
export class Reconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private watermark: string | null = null;
  private lastSuccess = Date.now();
  private lastPurge = 0;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private failures = 0;

  constructor(
    private readonly rules: RulesService,
    private readonly riderFacts: RiderFactsService,
    private readonly revocations: RevocationsRepository,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** A broadcast said something changed: look now rather than at the next tick. */
  poll(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.once();
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = null));
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.poll().finally(() => this.schedule());
    }, this.config.reconcileIntervalMs);
    this.timer.unref();
  }

  private async once(): Promise<void> {
    try {
      // Behind by more than the log keeps: what was missed cannot be read back, so start over.
      if (Date.now() - this.lastSuccess > REVOCATION_LOG_KEEP_MS / 2) {
        this.log.warn('reconciliation fell behind the revocation log; forgetting all consents');
        this.riderFacts.forgetAll();
        this.watermark = null;
      }
      await this.rules.refresh();
      const found = await this.revocations.since(this.watermark);
      for (const consentId of found.consentIds) this.riderFacts.forget(consentId);
      this.watermark = found.watermark;
      this.lastSuccess = Date.now();
      this.failures = 0;
      if (Date.now() - this.lastPurge > PURGE_EVERY_MS) {
        this.lastPurge = Date.now();
        await this.revocations.purgeBefore(new Date(Date.now() - REVOCATION_LOG_KEEP_MS));
      }
    } catch (e) {
      // Every minute or so while the database is away, not every tick.
      if (this.failures++ % Math.max(1, Math.round(60_000 / this.config.reconcileIntervalMs)) === 0)
        this.log.warn({ err: (e as Error).message }, 'reconciliation with PostgreSQL failed');
    }
  }
}
