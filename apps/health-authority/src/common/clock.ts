/** Anything that tells the time in epoch ms; tests inject one they can set. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * The one clock the authority judges time by (ages, code validity). An admin offset shifts it
 * for demos and e2e runs without touching the injected base clock.
 */
export class AuthorityClock implements Clock {
  private offset = 0;

  constructor(private readonly base: Clock = systemClock) {}

  now(): number {
    return this.base.now() + this.offset;
  }

  get offsetMs(): number {
    return this.offset;
  }

  shift(offsetMs: number): void {
    this.offset = offsetMs;
  }

  reset(): void {
    this.offset = 0;
  }
}
