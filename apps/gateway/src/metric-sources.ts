import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import { NATS } from './common/tokens';
import { IdempotencyCache } from './gate/idempotency.cache';
import { HealthStatusService } from './health-link/health-status.service';
import { Metrics } from './ops/metrics';
import { countReconnects } from './ops/nats-metrics';
import { ConsentDirectory } from './riders/consent-directory';

/** Gives the gauges their readers: here, at the composition root, so ops/ imports no service. */
@Injectable()
export class MetricSourcesWiring implements OnApplicationBootstrap {
  constructor(
    private readonly metrics: Metrics,
    private readonly health: HealthStatusService,
    private readonly consents: ConsentDirectory,
    private readonly replies: IdempotencyCache,
    @Inject(NATS) private readonly nc: NatsConnection,
  ) {}

  onApplicationBootstrap(): void {
    this.metrics.watch({
      breakerState: () => this.health.breakerState,
      caches: {
        health_fresh: () => this.health.cachedCount,
        health_last_known: () => this.health.lastKnownCount,
        health_warm: () => this.health.warmCount,
        consents: () => this.consents.size,
        tap_replies: () => this.replies.remembered,
      },
    });
    void countReconnects(this.nc, this.metrics.natsReconnects);
  }
}
