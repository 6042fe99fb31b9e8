import * as hdr from 'hdr-histogram-js';
import { createInbox, type NatsConnection } from 'nats';

export interface LoadResult {
  sent: number;
  answered: number;
  seconds: number;
  perSecond: number;
  histogram: hdr.Histogram;
  /** Replies decoded by the caller's classifier, e.g. by outcome. */
  counts: Record<string, number>;
}

export interface LoadSpec {
  inFlight: number;
  /** Subject and pre-encoded body of each request, in order. */
  requests: { subject: string; body: Uint8Array }[];
  classify?: (reply: Uint8Array) => string;
  timeoutMs?: number;
  onProgress?: (done: number) => void;
}

/**
 * A low-overhead load generator: one wildcard inbox subscription, publish with a reply
 * subject, and a fixed number in flight. Latency is what the gate sees, in microseconds.
 */
export function runLoad(nc: NatsConnection, spec: LoadSpec): Promise<LoadResult> {
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const prefix = `${createInbox()}.`;
  const startedAt = new Float64Array(spec.requests.length);
  const counts: Record<string, number> = {};
  let next = 0;
  let answered = 0;
  const t0 = performance.now();

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.unsubscribe();
      reject(
        new Error(
          `load: ${spec.requests.length - answered} requests unanswered after ${spec.timeoutMs ?? 300_000} ms`,
        ),
      );
    }, spec.timeoutMs ?? 300_000);

    const send = () => {
      const i = next++;
      const r = spec.requests[i];
      startedAt[i] = performance.now();
      nc.publish(r.subject, r.body, { reply: prefix + i });
    };

    const sub = nc.subscribe(`${prefix}*`, {
      callback: (_err, m) => {
        const i = Number(m.subject.slice(prefix.length));
        histogram.recordValue(Math.max(1, Math.round((performance.now() - startedAt[i]) * 1000)));
        if (spec.classify) {
          const k = spec.classify(m.data);
          counts[k] = (counts[k] ?? 0) + 1;
        }
        answered++;
        if (answered % 1000 === 0) spec.onProgress?.(answered);
        if (next < spec.requests.length) send();
        else if (answered === spec.requests.length) {
          clearTimeout(timer);
          sub.unsubscribe();
          const seconds = (performance.now() - t0) / 1000;
          spec.onProgress?.(answered);
          resolve({
            sent: next,
            answered,
            seconds,
            perSecond: answered / seconds,
            histogram,
            counts,
          });
        }
      },
    });
    for (let k = 0; k < Math.min(spec.inFlight, spec.requests.length); k++) send();
  });
}
