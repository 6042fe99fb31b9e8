/** The gateway's clock is the only one any rule trusts; injected so tests can set the instant. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that runs from a chosen instant; for tests and for replaying a past day. */
export function clockFrom(startMs: number): Clock {
  const offset = startMs - Date.now();
  return { now: () => Date.now() + offset };
}

export function fixedClock(ms: number): Clock & { set(ms: number): void } {
  let t = ms;
  return { now: () => t, set: (next: number) => (t = next) };
}
