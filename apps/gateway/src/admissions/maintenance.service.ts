import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Clock } from '../common/clock';
import type { Logger } from '../common/logger';
import { CLOCK, CONFIG, LOGGER } from '../common/tokens';
import type { GatewayConfig } from '../config';
import { AdmissionsRepository } from './admissions.repository';

/** Forgets what only mattered for a while: tap receipts past a day, spent ride-code ids. */
@Injectable()
export class MaintenanceService implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly repo: AdmissionsRepository,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.run(), 60_000).unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async run(): Promise<void> {
    const now = this.clock.now();
    const keepReceiptsMs = Math.max(24 * 3_600_000, this.config.idempotencyWindowMinutes * 60_000);
    try {
      const purged = await this.repo.purgeExpired(new Date(now - keepReceiptsMs), new Date(now));
      if (purged.receipts + purged.codes > 0)
        this.log.info(purged, 'purged expired receipts and ride-code uses');
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'maintenance failed; will retry');
    }
  }
}
