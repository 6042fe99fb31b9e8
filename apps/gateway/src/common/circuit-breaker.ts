/**
 * Stops hammering a dependency that is down: after `threshold` consecutive failures calls fail
 * fast for `coolDownMs`; then one trial call decides whether to close again.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private trialRunning = false;

  constructor(
    private readonly threshold: number,
    private readonly coolDownMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get state(): 'closed' | 'open' | 'half-open' {
    if (this.openedAt === null) return 'closed';
    return this.now() - this.openedAt >= this.coolDownMs ? 'half-open' : 'open';
  }

  /** Whether a call may go out now; in half-open, only one trial at a time. */
  allow(): boolean {
    switch (this.state) {
      case 'closed':
        return true;
      case 'open':
        return false;
      case 'half-open':
        if (this.trialRunning) return false;
        this.trialRunning = true;
        return true;
    }
  }

  success(): void {
    this.failures = 0;
    this.openedAt = null;
    this.trialRunning = false;
  }

  failure(): void {
    this.trialRunning = false;
    if (this.openedAt !== null || ++this.failures >= this.threshold) this.openedAt = this.now();
  }
}
