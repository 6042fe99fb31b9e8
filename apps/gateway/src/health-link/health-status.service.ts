import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { UNAVAILABLE, type HealthFacts, type HealthLookup } from '@app/decision';
import { BatchLoader } from '../common/batch-loader';
import { CircuitBreaker } from '../common/circuit-breaker';
import { Metrics } from '../ops/metrics';
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

interface Known {
  facts: HealthFacts;
  /** The gateway clock when the request that read it was sent: the status is at least this old. */
  fetchedAt: number;
}

interface Warm {
  facts: HealthFacts;
  /** The gateway clock until which it serves taps: the end of the ride code it was read for. */
  until: number;
}

/** A fetched status, `null` when the consent no longer exists, `undefined` when no answer came. */
type Fetched = { facts: HealthFacts | null; startedAt: number; fetchedAt: number } | undefined;

/**
 * Health facts for a tap, kept only in memory and briefly, in two places:
 * - fresh statuses serve taps for HEALTH_CACHE_TTL_MS. After a NATS reconnect change notices may
 *   have been missed, so they are all dropped (`dropFresh`).
 * - last-known statuses serve only the operator's "accept a status cached within N minutes"
 *   fallback, when the authority does not answer. They are kept for the longest N of any rule
 *   version (not at all when none uses it), at most HEALTH_LAST_KNOWN_MAX of them, and survive a
 *   reconnect: that is exactly when the fallback is needed. A decision checks their age.
 * - warm statuses, read when the rider asked for a ride code or the status screen, serve taps
 *   until that code expires, so a tap soon after needs no lookup. At most HEALTH_WARM_MAX; like
 *   fresh ones they are dropped after a reconnect.
 * A change notice or a revocation evicts all three at once, and a lookup already in flight cannot
 * bring any back.
 */
@Injectable()
export class HealthStatusService implements OnModuleDestroy {
  private readonly fresh = new Map<string, Known>();
  private readonly lastKnown = new Map<string, Known>();
  private readonly warm = new Map<string, Warm>();
  private readonly evictedAt = new Map<string, number>();
  /** When fresh statuses were last dropped: a lookup sent before that is not fresh after it. */
  private freshDroppedAt = -Infinity;
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
    private readonly metrics: Metrics,
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
    this.sweeper = setInterval(() => this.forgetExpired(), 5_000).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** A change notice or a revocation: nothing held of this consent may serve a tap again. */
  evict(consentId: string): void {
    this.fresh.delete(consentId);
    this.lastKnown.delete(consentId);
    this.warm.delete(consentId);
    this.evictedAt.set(consentId, performance.now());
  }

  /**
   * Change notices may have been missed (e.g. while NATS was away): no status serves a tap as
   * fresh until it is read again. Last-known statuses stay for the operator's cached fallback;
   * a revocation missed meanwhile is caught before any lookup, because the consent directory
   * reloads from the database after a reconnect.
   */
  dropFresh(): void {
    this.fresh.clear();
    this.warm.clear();
    this.freshDroppedAt = performance.now();
  }

  get cachedCount(): number {
    return this.fresh.size;
  }

  get lastKnownCount(): number {
    return this.lastKnown.size;
  }

  get warmCount(): number {
    return this.warm.size;
  }

  /** Whether a tap for this consent would be served a warm status now. */
  isWarm(consentId: string): boolean {
    const warm = this.warm.get(consentId);
    return warm !== undefined && this.clock.now() < warm.until;
  }

  /**
   * The rider asked for a ride code valid until `until` (gateway clock): read their status now,
   * batched with the taps' lookups, and keep it for the taps of that code. Never rejects; a
   * failed read leaves the taps to look up as usual.
   */
  async prefetch(consentId: string, until: number, budgetMs: number): Promise<void> {
    if (this.config.healthWarmMax === 0) return;
    const fetched = await this.loader.load(consentId, budgetMs);
    if (fetched === undefined || fetched.facts === null) return;
    this.remember(consentId, fetched.facts, fetched.startedAt, fetched.fetchedAt);
    this.keepWarm(consentId, fetched.facts, fetched.startedAt, until);
  }

  /**
   * A status read elsewhere (the rider's status screen), from a request sent at `startedAt`
   * (performance.now()) and `fetchedAt` (gateway clock): kept like a prefetched one.
   */
  warmWith(
    consentId: string,
    facts: HealthFacts,
    startedAt: number,
    fetchedAt: number,
    until: number,
  ): void {
    if (this.config.healthWarmMax === 0) return;
    this.remember(consentId, facts, startedAt, fetchedAt);
    this.keepWarm(consentId, facts, startedAt, until);
  }

  get breakerState(): CircuitBreaker['state'] {
    return this.breaker.state;
  }

  /**
   * `budgetMs` is the operator's bound on how long a tap may wait for the authority.
   * Null when the authority says the consent no longer exists.
   */
  async lookup(consentId: string, budgetMs: number): Promise<HealthLookup | null> {
    const hit = this.fresh.get(consentId);
    const now = this.clock.now();
    if (hit && now - hit.fetchedAt < this.config.healthCacheTtlMs)
      return { kind: 'fresh', facts: hit.facts };
    const warm = this.warm.get(consentId);
    if (warm !== undefined) {
      if (now < warm.until) return { kind: 'fresh', facts: warm.facts };
      this.warm.delete(consentId);
    }
    const fetched = await this.loader.load(consentId, budgetMs);
    if (fetched === undefined) {
      const known = this.lastKnown.get(consentId);
      return known
        ? { kind: 'cached', facts: known.facts, fetchedAt: known.fetchedAt }
        : UNAVAILABLE;
    }
    if (fetched.facts === null) return null;
    this.remember(consentId, fetched.facts, fetched.startedAt, fetched.fetchedAt);
    return { kind: 'fresh', facts: fetched.facts };
  }

  /** Drops what no longer serves a tap: fresh past its TTL, warm past its code, last-known past the longest N. */
  forgetExpired(): void {
    const now = this.clock.now();
    const freshCutoff = now - this.config.healthCacheTtlMs;
    for (const [id, k] of this.fresh) if (k.fetchedAt < freshCutoff) this.fresh.delete(id);
    for (const [id, w] of this.warm) if (w.until <= now) this.warm.delete(id);
    const knownCutoff = now - this.rules.longestCacheFallbackMs();
    for (const [id, k] of this.lastKnown) if (k.fetchedAt < knownCutoff) this.lastKnown.delete(id);
    const evictCutoff = performance.now() - 60_000;
    for (const [id, at] of this.evictedAt) if (at < evictCutoff) this.evictedAt.delete(id);
  }

  private remember(consentId: string, facts: HealthFacts, startedAt: number, fetchedAt: number) {
    const evicted = this.evictedAt.get(consentId);
    if (evicted !== undefined && evicted >= startedAt) return;
    const known = { facts, fetchedAt };
    if (startedAt > this.freshDroppedAt) this.fresh.set(consentId, known);
    if (this.rules.longestCacheFallbackMs() <= 0 || this.config.healthLastKnownMax === 0) return;
    // Re-inserted at the end, so the first entry is always the longest unrefreshed one.
    this.lastKnown.delete(consentId);
    if (this.lastKnown.size >= this.config.healthLastKnownMax) {
      const oldest = this.lastKnown.keys().next();
      if (!oldest.done) this.lastKnown.delete(oldest.value);
    }
    this.lastKnown.set(consentId, known);
  }

  private keepWarm(consentId: string, facts: HealthFacts, startedAt: number, until: number): void {
    const evicted = this.evictedAt.get(consentId);
    if (evicted !== undefined && evicted >= startedAt) return;
    if (startedAt <= this.freshDroppedAt) return;
    // A code minted earlier may outlive this one: keep the later end.
    const previous = this.warm.get(consentId);
    const end = previous === undefined ? until : Math.max(until, previous.until);
    // Re-inserted at the end, so the first entry is the one read longest ago.
    this.warm.delete(consentId);
    if (this.warm.size >= this.config.healthWarmMax) {
      const oldest = this.warm.keys().next();
      if (!oldest.done) this.warm.delete(oldest.value);
    }
    this.warm.set(consentId, { facts, until: end });
  }

  private async fetchMany(ids: string[], budgetMs: number): Promise<Map<string, Fetched>> {
    // While the breaker is open, taps take the operator's fallback at once: no request goes out.
    if (!this.breaker.allow()) throw CIRCUIT_OPEN;
    const startedAt = performance.now();
    const fetchedAt = this.clock.now();
    let statuses: Awaited<ReturnType<AuthorityClient['statusBatch']>>;
    try {
      statuses = await this.authority.statusBatch(
        ids,
        Number.isFinite(budgetMs) ? budgetMs : 5_000,
      );
    } catch (e) {
      this.metrics.authorityLookup.observe(
        { result: 'failed' },
        (performance.now() - startedAt) / 1000,
      );
      this.breaker.failure();
      throw e;
    }
    this.metrics.authorityLookup.observe({ result: 'ok' }, (performance.now() - startedAt) / 1000);
    this.breaker.success();
    return new Map(
      ids.map((id) => [
        id,
        { facts: statuses[id] ? toFacts(statuses[id]) : null, startedAt, fetchedAt },
      ]),
    );
  }
}
