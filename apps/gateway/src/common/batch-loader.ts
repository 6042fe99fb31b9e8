/**
 * Coalesces loads issued in the same turn of the event loop into one batch call, so N
 * concurrent taps cost one query or request instead of N. A key asked for twice in a batch
 * is fetched once.
 *
 * With `maxConcurrent`, at most that many batches are out at once: while they are, new keys
 * wait and leave together when one returns. An idle loader adds no delay; a busy one sends
 * fewer, larger requests instead of many small ones.
 */
export class BatchLoader<K, V> {
  private pending = new Map<K, ((v: V) => void)[]>();
  private scheduled = false;
  private running = 0;
  /** The smallest budget asked for by a pending key, and when the oldest of them arrived. */
  private budgetMs = Infinity;
  private oldestAt = 0;

  constructor(
    /** Must resolve a value for every key (use a "missing" value, not an omission). */
    private readonly loadMany: (keys: K[], budgetMs: number) => Promise<Map<K, V>>,
    /** The value every waiter of a failed batch gets. */
    private readonly onFailure: (keys: K[], err: unknown) => V,
    private readonly maxBatch = 500,
    private readonly maxConcurrent = Infinity,
    /** Milliseconds, monotonic; tests pass their own. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * `budgetMs` bounds how long the batch this key joins may take (the smallest wins), counted
   * from when the key was asked for, so time spent waiting for a free slot is part of it.
   */
  load(key: K, budgetMs = Infinity): Promise<V> {
    return new Promise<V>((resolve) => {
      const waiters = this.pending.get(key);
      if (waiters) waiters.push(resolve);
      else {
        if (this.pending.size === 0) this.oldestAt = this.now();
        this.pending.set(key, [resolve]);
      }
      if (budgetMs < this.budgetMs) this.budgetMs = budgetMs;
      if (this.pending.size >= this.maxBatch && this.running < this.maxConcurrent) this.flush();
      else this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.maxConcurrent) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    while (this.pending.size > 0 && this.running < this.maxConcurrent) {
      const waited = this.now() - this.oldestAt;
      const budgetMs = Math.max(1, this.budgetMs - waited);
      void this.run(this.take(), budgetMs);
    }
  };

  /** Up to maxBatch pending keys; the rest stay pending with the same budget and age. */
  private take(): Map<K, ((v: V) => void)[]> {
    if (this.pending.size <= this.maxBatch) {
      const all = this.pending;
      this.pending = new Map();
      this.budgetMs = Infinity;
      return all;
    }
    const batch = new Map<K, ((v: V) => void)[]>();
    for (const [key, waiters] of this.pending) {
      if (batch.size === this.maxBatch) break;
      batch.set(key, waiters);
      this.pending.delete(key);
    }
    return batch;
  }

  private async run(batch: Map<K, ((v: V) => void)[]>, budgetMs: number): Promise<void> {
    this.running++;
    const keys = [...batch.keys()];
    let values: Map<K, V> | null = null;
    let failure: V | undefined;
    try {
      values = await this.loadMany(keys, budgetMs);
    } catch (err) {
      failure = this.onFailure(keys, err);
    } finally {
      this.running--;
    }
    for (const [key, waiters] of batch) {
      const v = values ? (values.get(key) as V) : (failure as V);
      for (const resolve of waiters) resolve(v);
    }
    if (this.pending.size > 0) this.schedule();
  }
}
