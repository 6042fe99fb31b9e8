import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { BatchLoader } from '../common/batch-loader';
import type { Logger } from '../common/logger';
import { CONFIG, LOGGER } from '../common/tokens';
import type { GatewayConfig } from '../config';
import { RidersRepository } from './riders.repository';

const PAGE = 20_000;

/**
 * Which consent each linked rider holds, kept in memory so a tap needs no query to learn it.
 * Loaded at boot; links made on this instance are added at once, links made elsewhere on first
 * use (a miss asks the database, batched). A revocation evicts at once: here directly, on other
 * instances by the broadcast. After a NATS reconnect, when broadcasts may have been missed, it
 * starts over. Only consent ids are held, never health data; and a consent id that is stale
 * anyway opens nothing, because the authority answers nothing for a revoked consent.
 */
@Injectable()
export class ConsentDirectory implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly byRider = new Map<string, string>();
  /** The reverse, because revocation broadcasts carry only the consent id. */
  private readonly byConsent = new Map<string, string>();
  /** When each consent was evicted: an answer read before that must not bring it back. */
  private readonly evictedAt = new Map<string, number>();
  private clearedAt = 0;
  private readonly misses: BatchLoader<string, string | null | undefined>;
  private readonly sweeper: NodeJS.Timeout;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly riders: RidersRepository,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.misses = new BatchLoader(
      async (ids) => {
        const startedAt = performance.now();
        const found = await riders.consentsOf(ids);
        for (const [rider, consent] of found) this.add(rider, consent, startedAt);
        return new Map(ids.map((id) => [id, found.get(id) ?? null]));
      },
      () => undefined,
    );
    this.sweeper = setInterval(() => this.sweep(), 30_000).unref();
  }

  onApplicationBootstrap(): void {
    this.reload();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  get size(): number {
    return this.byRider.size;
  }

  get isLoading(): boolean {
    return this.loading !== null;
  }

  /** The rider's consent id; null without one; undefined when the database did not answer. */
  async consentOf(riderId: string): Promise<string | null | undefined> {
    return this.byRider.get(riderId) ?? this.misses.load(riderId);
  }

  /** A link made on this instance. */
  linked(riderId: string, consentId: string): void {
    this.add(riderId, consentId, performance.now());
  }

  /** A consent revoked or replaced, here or on another instance. */
  evictConsent(consentId: string): void {
    this.evictedAt.set(consentId, performance.now());
    const rider = this.byConsent.get(consentId);
    this.byConsent.delete(consentId);
    if (rider !== undefined && this.byRider.get(rider) === consentId) this.byRider.delete(rider);
  }

  /** Broadcasts may have been missed: forget everything, then load afresh. */
  clear(): void {
    this.clearedAt = performance.now();
    this.byRider.clear();
    this.byConsent.clear();
    this.reload();
  }

  /** Pages through every link; misses are answered by the database until it is done. */
  reload(): void {
    if (this.loading) return;
    const started = performance.now();
    this.loading = (async () => {
      let after: string | null = null;
      for (;;) {
        const pageStartedAt = performance.now();
        const page = await this.riders.linksAfter(after, PAGE);
        for (const { riderId, consentId } of page) this.add(riderId, consentId, pageStartedAt);
        if (page.length < PAGE || this.byRider.size >= this.config.consentCacheMax) break;
        after = page[page.length - 1].riderId;
      }
      this.log.info(
        { riders: this.byRider.size, ms: Math.round(performance.now() - started) },
        'consent directory loaded',
      );
    })()
      .catch((e: unknown) => {
        const err = (e as Error).message;
        this.log.warn({ err }, 'consent directory load failed; misses ask the database');
      })
      .finally(() => {
        this.loading = null;
        // Cleared while loading: the pages read before that were refused, so read them again.
        if (this.clearedAt > started) this.reload();
      });
  }

  private add(riderId: string, consentId: string, readAt: number): void {
    if (this.config.consentCacheMax === 0) return;
    const evicted = this.evictedAt.get(consentId);
    if (readAt < this.clearedAt || (evicted !== undefined && readAt <= evicted)) return;
    const previous = this.byRider.get(riderId);
    if (previous !== undefined && previous !== consentId) this.byConsent.delete(previous);
    if (previous === undefined && this.byRider.size >= this.config.consentCacheMax) {
      // Full: the longest-held entry goes; its rider is then one query away, as before.
      const oldest = this.byRider.entries().next();
      if (!oldest.done) {
        this.byRider.delete(oldest.value[0]);
        this.byConsent.delete(oldest.value[1]);
      }
    }
    this.byRider.set(riderId, consentId);
    this.byConsent.set(consentId, riderId);
  }

  private sweep(): void {
    const cutoff = performance.now() - 60_000;
    for (const [id, at] of this.evictedAt) if (at < cutoff) this.evictedAt.delete(id);
  }
}
