/**
 * Monotonic time and timers, injected so deadlines can be tested to the millisecond. Deadlines
 * are on this clock (performance.now()): the wall clock may jump, a tap's bound must not.
 */
export interface Timer {
  now(): number;
  /** Runs `fn` once `ms` from now; the returned function cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export const systemTimer: Timer = {
  now: () => performance.now(),
  after(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
};

/** A timer that moves only when told: `advance(ms)` runs what falls due, in order. */
export function manualTimer(start = 0): Timer & { advance(ms: number): void; pending(): number } {
  let t = start;
  let seq = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => t,
    after(ms, fn) {
      const id = seq++;
      due.set(id, { at: t + Math.max(0, ms), fn });
      return () => due.delete(id);
    },
    advance(ms) {
      const end = t + ms;
      for (;;) {
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const e of due) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
        if (!next) break;
        due.delete(next[0]);
        t = next[1].at;
        next[1].fn();
      }
      t = end;
    },
    pending: () => due.size,
  };
}

/**
 * `p`, or `late()` if `p` has not settled by `deadlineMs` (on the timer's clock). The work goes
 * on; only the wait is bounded.
 */
export function beforeDeadline<T>(
  p: Promise<T>,
  deadlineMs: number,
  late: () => T,
  timer: Timer = systemTimer,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cancel = timer.after(deadlineMs - timer.now(), () => resolve(late()));
    p.then(
      (v) => {
        cancel();
        resolve(v);
      },
      (e: unknown) => {
        cancel();
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
