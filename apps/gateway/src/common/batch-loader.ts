/**
 * Coalesces loads issued in the same turn of the event loop into one batch call, so N
 * concurrent taps cost one query or request instead of N. A key asked for twice in a batch
 * is fetched once.
 */
export class BatchLoader<K, V> {
  private pending = new Map<K, ((v: V) => void)[]>();
  private scheduled = false;
  private budgetMs = Infinity;

  constructor(
    /** Must resolve a value for every key (use a "missing" value, not an omission). */
    private readonly loadMany: (keys: K[], budgetMs: number) => Promise<Map<K, V>>,
    /** The value every waiter of a failed batch gets. */
    private readonly onFailure: (keys: K[], err: unknown) => V,
    private readonly maxBatch = 500,
  ) {}

  /** `budgetMs` bounds how long the batch this key joins may take (the smallest wins). */
  load(key: K, budgetMs = Infinity): Promise<V> {
    return new Promise<V>((resolve) => {
      const waiters = this.pending.get(key);
      if (waiters) waiters.push(resolve);
      else this.pending.set(key, [resolve]);
      if (budgetMs < this.budgetMs) this.budgetMs = budgetMs;
      if (this.pending.size >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    const budgetMs = this.budgetMs;
    this.pending = new Map();
    this.budgetMs = Infinity;
    void this.run(batch, budgetMs);
  };

  private async run(batch: Map<K, ((v: V) => void)[]>, budgetMs: number): Promise<void> {
    const keys = [...batch.keys()];
    let values: Map<K, V> | null = null;
    let failure: V | undefined;
    try {
      values = await this.loadMany(keys, budgetMs);
    } catch (err) {
      failure = this.onFailure(keys, err);
    }
    for (const [key, waiters] of batch) {
      const v = values ? (values.get(key) as V) : (failure as V);
      for (const resolve of waiters) resolve(v);
    }
  }
}
