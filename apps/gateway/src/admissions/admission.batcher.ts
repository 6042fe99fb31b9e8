import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '../common/logger';
import type { GatewayConfig } from '../config';
import { CONFIG, LOGGER } from '../common/tokens';
import { Metrics } from '../ops/metrics';
import { Counter, Histogram } from 'prom-client';
import {
  AdmissionsRepository,
  type Admission,
  type AdmissionResult,
} from './admissions.repository';

export type CommitOutcome = AdmissionResult | { kind: 'unavailable' };

interface Queued {
  item: Admission;
  resolve(outcome: CommitOutcome): void;
}

const MAX_CONCURRENT_COMMITS = 3;

/**
 * Group commit: taps arriving within a couple of milliseconds share one transaction, and
 * each tap's reply waits for its batch's COMMIT. Items that would collide inside one batch
 * (same tap, ride code or traveller) wait for the next batch, where the database decides.
 */
@Injectable()
export class AdmissionBatcher {
  private queue: Queued[] = [];
  private scheduled = false;
  private inFlight = 0;
  private readonly batches: Counter<'result'>;
  private readonly batchSize: Histogram;

  constructor(
    private readonly repo: AdmissionsRepository,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.batches = new Counter({
      name: 'gateway_checkin_batches_total',
      help: 'Check-in transactions (one per batch of taps), by result',
      labelNames: ['result'],
      registers: [metrics.registry],
    });
    this.batchSize = new Histogram({
      name: 'gateway_checkin_batch_size',
      help: 'Taps sharing one check-in transaction',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers: [metrics.registry],
    });
  }

  submit(item: Admission): Promise<CommitOutcome> {
    return new Promise((resolve) => {
      this.queue.push({ item, resolve });
      if (this.queue.length >= this.config.checkInBatchMax) this.kick();
      else this.schedule();
    });
  }

  /**
   * With a commit slot free, flush on the next turn of the event loop (taps that arrived in the
   * same turn share it) or after CHECKIN_BATCH_WINDOW_MS; with every slot busy, the next
   * finishing commit takes whatever queued meanwhile. So a lone tap never waits for a timer,
   * and under load the batches grow by themselves.
   */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= MAX_CONCURRENT_COMMITS) return;
    this.scheduled = true;
    if (this.config.checkInBatchWindowMs > 0)
      setTimeout(this.kick, this.config.checkInBatchWindowMs);
    else setImmediate(this.kick);
  }

  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  private readonly kick = (): void => {
    this.scheduled = false;
    while (this.queue.length > 0 && this.inFlight < MAX_CONCURRENT_COMMITS) {
      void this.commitBatch(this.takeBatch());
    }
    if (this.queue.length > 0) this.schedule();
  };

  private takeBatch(): Queued[] {
    const batch: Queued[] = [];
    const rest: Queued[] = [];
    const seen = new Set<string>();
    for (const q of this.queue) {
      const { item } = q;
      const keys = [`t:${item.stationId}/${item.gateId}/${item.tapId}`, `p:${item.traveller}`];
      if (item.jti !== null) keys.push(`j:${item.jti}`);
      if (batch.length >= this.config.checkInBatchMax || keys.some((k) => seen.has(k))) {
        rest.push(q);
        continue;
      }
      for (const k of keys) seen.add(k);
      batch.push(q);
    }
    this.queue = rest;
    return batch;
  }

  private async commitBatch(batch: Queued[]): Promise<void> {
    this.inFlight++;
    // No row, no open: past the bound every tap of the batch is told the record is
    // unavailable. Should the commit land later, a retry finds its receipt and opens.
    const giveUp = setTimeout(() => {
      for (const q of batch) q.resolve({ kind: 'unavailable' });
    }, this.config.checkInCommitTimeoutMs);
    try {
      const results = await this.repo.commit(
        batch.map((q) => q.item),
        this.config.antiPassbackMinutes * 60_000,
      );
      batch.forEach((q, i) => q.resolve(results[i]));
      this.batches.inc({ result: 'committed' });
      this.batchSize.observe(batch.length);
    } catch (e) {
      this.batches.inc({ result: 'failed' });
      this.log.error({ err: (e as Error).message, taps: batch.length }, 'check-in batch failed');
      for (const q of batch) q.resolve({ kind: 'unavailable' });
    } finally {
      clearTimeout(giveUp);
      this.inFlight--;
      if (this.queue.length > 0) this.kick();
    }
  }
}
