import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { HealthFacts, HealthLookup } from '@app/decision';
import { BatchLoader } from '../common/batch-loader';
import { CircuitBreaker } from '../common/circuit-breaker';
import type { Clock } from '../common/clock';
import type { Logger } from '../common/logger';
import type { GatewayConfig } from '../config';
import { CLOCK, CONFIG, LOGGER } from '../common/tokens';
import { RulesService } from '../rules/rules.service';
import { AuthorityClient, toFacts } from './authority.client';

/**
 * Batch requests out at once. Beyond that, lookups wait for one to return and go together: the
 * authority gets fewer, larger requests under load, and an idle gateway adds no delay.
 */
const MAX_LOOKUPS_IN_FLIGHT = 2;

/** A lookup the open circuit breaker refused; not worth a log line per tap. */
const CIRCUIT_OPEN = new Error('health-code service circuit open');

interface Cached {
  facts: HealthFacts;
  fetchedAt: number;
}

/** A fetched status, `null` when the consent no longer exists, `undefined` when no answer came. */
type Fetched = { facts: HealthFacts | null; startedAt: number } | undefined;

/**
 * Health facts for a tap. Kept only in memory and briefly: a fresh entry serves taps for
 * HEALTH_CACHE_TTL_MS; an older one only as the operator's "cached" fallback. A change notice
 * or a revocation evicts it at once, and a lookup already in flight cannot bring it back.
 */
@Injectable()
export class HealthStatusService implements OnModuleDestroy {
  private readonly cache = new Map<string, Cached>();
  private readonly evictedAt = new Map<string, number>();
  private readonly loader: BatchLoader<string, Fetched>;
  /** After 5 failed lookups in a row, taps use the fallback at once for 2 s, then one trial. */
  private readonly breaker = new CircuitBreaker(5, 2_000);
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly authority: AuthorityClient,
    private readonly rules: RulesService,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.loader = new BatchLoader(
      (ids, budgetMs) => this.fetchMany(ids, budgetMs),
      (ids, err) => {
        if (err !== CIRCUIT_OPEN)
          this.log.warn(
            { err: (err as Error).message, lookups: ids.length },
            'health-code service lookup failed',
          );
        return undefined;
      },
      500,
      MAX_LOOKUPS_IN_FLIGHT,
    );
    // Often: health facts should leave memory soon after they stop serving taps.
    this.sweeper = setInterval(() => this.sweep(), 5_000).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  evict(consentId: string): void {
    this.cache.delete(consentId);
    this.evictedAt.set(consentId, performance.now());
  }

  /** Change notices may have been missed (e.g. while NATS was away): trust nothing cached. */
  clear(): void {
    for (const id of this.cache.keys()) this.evict(id);
  }

  get cachedCount(): number {
    return this.cache.size;
  }

  /**
   * `budgetMs` is the operator's bound on how long a tap may wait for the authority.
   * Null when the authority says the consent no longer exists.
   */
  async lookup(consentId: string, budgetMs: number): Promise<HealthLookup | null> {
    const hit = this.cache.get(consentId);
    if (hit && this.clock.now() - hit.fetchedAt < this.config.healthCacheTtlMs)
      return { kind: 'fresh', facts: hit.facts };
    const fetched = await this.loader.load(consentId, budgetMs);
    if (fetched === undefined) {
      const stale = this.cache.get(consentId);
      return stale
        ? { kind: 'cached', facts: stale.facts, fetchedAt: stale.fetchedAt }
        : { kind: 'unavailable' };
    }
    if (fetched.facts === null) return null;
    const evicted = this.evictedAt.get(consentId);
    if (evicted === undefined || evicted < fetched.startedAt) {
      this.cache.set(consentId, { facts: fetched.facts, fetchedAt: this.clock.now() });
    }
    return { kind: 'fresh', facts: fetched.facts };
  }

  private async fetchMany(ids: string[], budgetMs: number): Promise<Map<string, Fetched>> {
    // While the breaker is open, taps take the operator's fallback at once: no request goes out.
    if (!this.breaker.allow()) throw CIRCUIT_OPEN;
    const startedAt = performance.now();
    let statuses: Awaited<ReturnType<AuthorityClient['statusBatch']>>;
    try {
      statuses = await this.authority.statusBatch(
        ids,
        Number.isFinite(budgetMs) ? budgetMs : 5_000,
      );
    } catch (e) {
      this.breaker.failure();
      throw e;
    }
    this.breaker.success();
    return new Map(
      ids.map((id) => [id, { facts: statuses[id] ? toFacts(statuses[id]) : null, startedAt }]),
    );
  }

  private sweep(): void {
    const keepMs = Math.max(this.config.healthCacheTtlMs, this.rules.longestCacheFallbackMs());
    const cutoff = this.clock.now() - keepMs;
    for (const [id, entry] of this.cache) if (entry.fetchedAt < cutoff) this.cache.delete(id);
    const evictCutoff = performance.now() - 60_000;
    for (const [id, at] of this.evictedAt) if (at < evictCutoff) this.evictedAt.delete(id);
  }
}
