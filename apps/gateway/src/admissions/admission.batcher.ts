import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Logger } from '../common/logger';
import { systemTimer, type Timer } from '../common/timer';
import type { GatewayConfig } from '../config';
import { CONFIG, LOGGER, TIMER } from '../common/tokens';
import { Metrics } from '../ops/metrics';
import { Counter, Histogram } from 'prom-client';
import {
  AdmissionsRepository,
  receiptDevice,
  type Admission,
  type AdmissionResult,
} from './admissions.repository';
import { UNAVAILABLE, type Unavailable } from '@app/decision';

export type CommitOutcome = AdmissionResult | Unavailable;

interface Queued {
  item: Admission;
  /** On the batcher's timer (performance.now()): past it the tap has been answered. */
  deadlineMs: number;
  /** Answered (by its result, its deadline, or a refusal): later outcomes change nothing. */
  settled: boolean;
  settle(outcome: CommitOutcome): void;
}

export type BatcherConfig = Pick<
  GatewayConfig,
  'checkInBatchMax' | 'checkInBatchWindowMs' | 'admissionQueueMax' | 'antiPassbackMinutes'
>;

const MAX_CONCURRENT_COMMITS = 3;

/**
 * The database's fence is this much before the tap's deadline: a commit that passes it has this
 * long to reach the gateway and be answered `open`. One that misses it anyway is voided.
 */
export const FENCE_MARGIN_MS = 20;

/** What a voided check-in says about itself. */
export const VOID_ANSWERED_FIRST = 'committed after its tap was answered';

const VOID_ATTEMPTS = 5;

/**
 * False when the error proves nothing committed: PostgreSQL reported it (an SQLSTATE; the
 * statement, hence its transaction, failed), or no connection was made.
 */
function mayHaveCommitted(e: unknown): boolean {
  const { code, message } = e as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return false;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND') return false;
  return !(typeof message === 'string' && message.includes('trying to connect'));
}

/**
 * Group commit: taps arriving within a couple of milliseconds share one transaction, and
 * each tap's reply waits for its batch's COMMIT. Items that would collide inside one batch
 * (same tap, ride code or traveller) wait for the next batch, where the database decides.
 *
 * Every wait is bounded by the tap's own deadline (counted from its arrival): at the deadline
 * the tap is answered `unavailable` whether it is still queued (it is then never committed) or
 * its batch is still committing. Beyond ADMISSION_QUEUE_MAX waiting taps, a tap is answered at
 * once: a database that stopped answering costs a bounded amount of memory.
 */
@Injectable()
export class AdmissionBatcher {
  private queue: Queued[] = [];
  private scheduled = false;
  private inFlight = 0;
  private readonly batches: Counter<'result'>;
  private readonly batchSize: Histogram;
  private readonly refused: Counter<'why'>;

  constructor(
    private readonly repo: AdmissionsRepository,
    @Inject(CONFIG) private readonly config: BatcherConfig,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly metrics: Metrics,
    @Optional() @Inject(TIMER) private readonly timer: Timer = systemTimer,
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
    this.refused = new Counter({
      name: 'gateway_checkin_unanswered_total',
      help: 'Taps answered unavailable without a commit result: queue full, or deadline passed',
      labelNames: ['why'],
      registers: [metrics.registry],
    });
  }

  /** `deadlineMs` on the batcher's timer (performance.now() by default). */
  submit(item: Admission, deadlineMs: number): Promise<CommitOutcome> {
    return new Promise((resolve) => {
      if (deadlineMs <= this.timer.now()) {
        this.refused.inc({ why: 'deadline' });
        return resolve(UNAVAILABLE);
      }
      if (this.queue.length >= this.config.admissionQueueMax) {
        this.refused.inc({ why: 'queue-full' });
        return resolve(UNAVAILABLE);
      }
      const q: Queued = {
        item,
        deadlineMs,
        settled: false,
        settle: (outcome) => {
          if (q.settled) return;
          q.settled = true;
          cancel();
          resolve(outcome);
        },
      };
      const cancel = this.timer.after(deadlineMs - this.timer.now(), () => {
        if (q.settled) return;
        this.refused.inc({ why: 'deadline' });
        q.settle(UNAVAILABLE);
        // Still waiting for a batch: it leaves the queue, and never commits.
        const i = this.queue.indexOf(q);
        if (i >= 0) this.queue.splice(i, 1);
      });
      this.queue.push(q);
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
      this.timer.after(this.config.checkInBatchWindowMs, this.kick);
    else setImmediate(this.kick);
  }

  /** Taps waiting for a batch, and batches committing. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  private readonly kick = (): void => {
    this.scheduled = false;
    while (this.queue.length > 0 && this.inFlight < MAX_CONCURRENT_COMMITS) {
      const batch = this.takeBatch();
      if (batch.length === 0) break;
      void this.commitBatch(batch);
    }
    if (this.queue.length > 0) this.schedule();
  };

  private takeBatch(): Queued[] {
    const batch: Queued[] = [];
    const rest: Queued[] = [];
    const seen = new Set<string>();
    for (const q of this.queue) {
      // Answered already (its deadline passed while it waited): it must never commit.
      if (q.settled) continue;
      const { item } = q;
      const keys = [
        `t:${item.stationId}/${receiptDevice(item)}/${item.tapId}`,
        `p:${item.traveller}`,
      ];
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

  /**
   * Admitted taps whose commit landed after they were answered "not open" (the fence passed, then
   * the reply was late): nothing they committed may keep their riders out. Retried for a while,
   * since the database has just been slow.
   */
  private async release(items: Admission[], backendPid?: number): Promise<void> {
    const taps = items.map((i) => i.tapId);
    for (let attempt = 1; attempt <= VOID_ATTEMPTS; attempt++) {
      try {
        // A server process still running the batch could commit after the void: end it first.
        if (backendPid !== undefined) await this.repo.endBackend(backendPid);
        const voided = await this.repo.voidAdmitted(items, VOID_ANSWERED_FIRST);
        this.log.warn(
          { taps, voided },
          'check-ins committed after their taps were answered: voided',
        );
        return;
      } catch (e) {
        this.log.error(
          { taps, attempt, err: (e as Error).message },
          'voiding late check-ins failed',
        );
        await new Promise<void>((r) => this.timer.after(attempt * 1_000, r));
      }
    }
  }

  private async commitBatch(batch: Queued[]): Promise<void> {
    // Too close to its deadline to be answered after a commit: answered now, never sent.
    const start = this.timer.now();
    batch = batch.filter((q) => {
      if (q.deadlineMs - start > FENCE_MARGIN_MS) return true;
      this.refused.inc({ why: 'deadline' });
      q.settle(UNAVAILABLE);
      return false;
    });
    if (batch.length === 0) return;
    this.inFlight++;
    const sent = performance.now();
    try {
      const results = await this.repo.commit(
        batch.map((q) => q.item),
        this.config.antiPassbackMinutes * 60_000,
        batch.map((q) => q.deadlineMs - start - FENCE_MARGIN_MS),
      );
      this.metrics.checkInCommit.observe(
        { result: 'committed' },
        (performance.now() - sent) / 1000,
      );
      // A result is an answer only before its tap's deadline; the timer may not have run yet.
      const now = this.timer.now();
      const late = batch.filter((q, i) => {
        if (q.settled || now >= q.deadlineMs) {
          q.settle(UNAVAILABLE);
          return results[i].kind === 'admitted';
        }
        q.settle(results[i]);
        return false;
      });
      if (late.length > 0) void this.release(late.map((q) => q.item));
      this.batches.inc({ result: 'committed' });
      this.batchSize.observe(batch.length);
    } catch (e) {
      this.metrics.checkInCommit.observe({ result: 'failed' }, (performance.now() - sent) / 1000);
      this.batches.inc({ result: 'failed' });
      this.log.error({ err: (e as Error).message, taps: batch.length }, 'check-in batch failed');
      for (const q of batch) q.settle(UNAVAILABLE);
      // A connection lost mid-call says nothing of whether the server committed: whatever it
      // did is released (a no-op for what never committed).
      if (mayHaveCommitted(e))
        void this.release(
          batch.map((q) => q.item),
          (e as { backendPid?: number }).backendPid,
        );
    } finally {
      this.inFlight--;
      if (this.queue.length > 0) this.kick();
    }
  }
}
