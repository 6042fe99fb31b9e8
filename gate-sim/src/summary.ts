/** Collects gate replies of a run: outcomes, reasons, per station, latency (HdrHistogram, µs). */
import * as hdr from 'hdr-histogram-js';
import { REASONS, type GateReply, type Outcome } from '../../libs/protocol/src';

const OUTCOMES: readonly Outcome[] = ['open', 'see-staff', 'deny'];
/** One minute, in µs: anything slower is clamped (and would have timed out long before). */
const HIGHEST_US = 60_000_000;

export interface LatencyJson {
  p50: number;
  p99: number;
}

export interface StationJson {
  taps: number;
  outcomes: Record<Outcome, number>;
  reasons: Record<string, number>;
  latencyMs: LatencyJson & { max: number };
}

export interface Mismatch {
  stationId: string;
  tapId: string;
  what: string;
  expected: string;
  got: string;
}

export interface SummaryJson {
  taps: number;
  outcomes: Record<Outcome, number>;
  reasons: Record<string, number>;
  latencyMs: LatencyJson;
  /* Extras, after the fixed shape. */
  latencyMaxMs: number;
  /** Taps that needed more than one attempt (the gate timed out and re-sent). */
  tapsRetriedAfterTimeout: number;
  idempotentRetries: { sent: number; identical: number };
  expectations: { checked: number; met: number; mismatches: Mismatch[] };
  gateCommandsAcknowledged: number;
  stations: Record<string, StationJson>;
}

export interface TapRecord {
  stationId: string;
  reply: GateReply;
  latencyMs: number;
  attempts: number;
}

const MAX_MISMATCHES_KEPT = 50;
const ms3 = (us: number): number => Math.round(us) / 1000;

class Tally {
  taps = 0;
  readonly outcomes: Record<Outcome, number> = { open: 0, 'see-staff': 0, deny: 0 };
  readonly reasons: Record<string, number> = Object.fromEntries(REASONS.map((r) => [r, 0]));
  readonly latency = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });

  add(reply: GateReply, latencyUs: number): void {
    this.taps += 1;
    if (reply.outcome in this.outcomes) this.outcomes[reply.outcome] += 1;
    for (const r of reply.reasons ?? []) this.reasons[r] = (this.reasons[r] ?? 0) + 1;
    this.latency.recordValue(latencyUs);
  }

  percentile(p: number): number {
    // The bucket's upper bound can exceed the largest sample; never report more than the max.
    return this.taps === 0
      ? 0
      : ms3(Math.min(this.latency.getValueAtPercentile(p), this.latency.maxValue));
  }

  max(): number {
    return this.taps === 0 ? 0 : ms3(this.latency.maxValue);
  }
}

export class Summary {
  private readonly all = new Tally();
  private readonly byStation = new Map<string, Tally>();
  private retriedAfterTimeout = 0;
  private resent = 0;
  private resentIdentical = 0;
  private checked = 0;
  private met = 0;
  private readonly mismatches: Mismatch[] = [];
  private commandAcks = 0;

  constructor(private readonly stationNames: Readonly<Record<string, string>> = {}) {}

  /** A first tap (not a deliberate re-send); `latencyMs` spans all its attempts. */
  recordTap(t: TapRecord): void {
    const us = Math.min(HIGHEST_US, Math.max(1, Math.round(t.latencyMs * 1000)));
    this.all.add(t.reply, us);
    let station = this.byStation.get(t.stationId);
    if (!station) {
      station = new Tally();
      this.byStation.set(t.stationId, station);
    }
    station.add(t.reply, us);
    if (t.attempts > 1) this.retriedAfterTimeout += 1;
  }

  /** A tap re-sent with the same tapId; `identical` when the reply matched the first one. */
  recordResend(identical: boolean, mismatch?: Mismatch): void {
    this.resent += 1;
    if (identical) this.resentIdentical += 1;
    else if (mismatch && this.mismatches.length < MAX_MISMATCHES_KEPT)
      this.mismatches.push(mismatch);
  }

  /** Whether a reply was what the scripted rider should get. Mismatches of both kinds are kept for the report. */
  recordExpectation(ok: boolean, mismatch?: Mismatch): void {
    this.checked += 1;
    if (ok) this.met += 1;
    else if (mismatch && this.mismatches.length < MAX_MISMATCHES_KEPT)
      this.mismatches.push(mismatch);
  }

  setCommandAcks(n: number): void {
    this.commandAcks = n;
  }

  get taps(): number {
    return this.all.taps;
  }

  toJson(): SummaryJson {
    const stations: Record<string, StationJson> = {};
    for (const [id, t] of [...this.byStation].sort(([a], [b]) => a.localeCompare(b))) {
      stations[id] = {
        taps: t.taps,
        outcomes: { ...t.outcomes },
        reasons: { ...t.reasons },
        latencyMs: { p50: t.percentile(50), p99: t.percentile(99), max: t.max() },
      };
    }
    return {
      taps: this.all.taps,
      outcomes: { ...this.all.outcomes },
      reasons: { ...this.all.reasons },
      latencyMs: { p50: this.all.percentile(50), p99: this.all.percentile(99) },
      latencyMaxMs: this.all.max(),
      tapsRetriedAfterTimeout: this.retriedAfterTimeout,
      idempotentRetries: { sent: this.resent, identical: this.resentIdentical },
      expectations: { checked: this.checked, met: this.met, mismatches: [...this.mismatches] },
      gateCommandsAcknowledged: this.commandAcks,
      stations,
    };
  }

  toTable(): string {
    const j = this.toJson();
    const out: string[] = [];
    const pct = (n: number, of: number) => (of === 0 ? '' : `${((100 * n) / of).toFixed(1)}%`);

    out.push(`Taps: ${j.taps}`);
    out.push('');
    out.push(
      table(
        ['outcome', 'taps', 'share'],
        OUTCOMES.map((o) => [o, String(j.outcomes[o]), pct(j.outcomes[o], j.taps)]),
      ),
    );
    out.push('');
    const reasons = Object.entries(j.reasons)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    out.push(
      reasons.length === 0
        ? 'reasons: none (every tap opened)'
        : table(
            ['reason', 'count'],
            reasons.map(([r, n]) => [r, String(n)]),
          ),
    );
    out.push('');
    out.push(
      table(
        ['station', 'taps', 'open', 'see-staff', 'deny', 'p50 ms', 'p99 ms', 'max ms'],
        Object.entries(j.stations).map(([id, s]) => [
          this.stationNames[id] ? `${id} ${this.stationNames[id]}` : id,
          String(s.taps),
          String(s.outcomes.open),
          String(s.outcomes['see-staff']),
          String(s.outcomes.deny),
          s.latencyMs.p50.toFixed(2),
          s.latencyMs.p99.toFixed(2),
          s.latencyMs.max.toFixed(2),
        ]),
      ),
    );
    out.push('');
    out.push(
      `latency: p50 ${j.latencyMs.p50.toFixed(2)} ms, p99 ${j.latencyMs.p99.toFixed(2)} ms, max ${j.latencyMaxMs.toFixed(2)} ms` +
        (j.tapsRetriedAfterTimeout > 0
          ? ` (${j.tapsRetriedAfterTimeout} taps re-sent after a timeout)`
          : ''),
    );
    out.push(
      `idempotent retries: ${j.idempotentRetries.identical}/${j.idempotentRetries.sent} identical`,
    );
    if (j.expectations.checked > 0) {
      out.push(`replies as scripted: ${j.expectations.met}/${j.expectations.checked}`);
    }
    const failed =
      j.expectations.checked -
      j.expectations.met +
      j.idempotentRetries.sent -
      j.idempotentRetries.identical;
    for (const m of j.expectations.mismatches.slice(0, 10)) {
      out.push(`  ! ${m.stationId} ${m.tapId} ${m.what}: expected ${m.expected}, got ${m.got}`);
    }
    if (failed > 10) out.push(`  ! ... ${failed - 10} more (see the JSON summary)`);
    out.push(`gate commands acknowledged: ${j.gateCommandsAcknowledged}`);
    return out.join('\n');
  }
}

/** Plain-text columns: first column left-aligned, the rest right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
