import type { NatsConnection } from 'nats';
import type { Pool } from 'pg';
import type { GateReply } from '@app/protocol';
import { tapSubject } from '@app/protocol';
import type { RideCodeCodec } from '@app/ride-code';
import type { BenchRider } from '../../../gate-sim/src/bench/seed';
import { STATION, sleep } from './harness';

export interface PlannedTap {
  tapId: string;
  subject: string;
  body: Uint8Array;
}

export interface TapRecord extends PlannedTap {
  reply: GateReply | null;
  attempts: number;
  /** From the first send to the answer, across attempts (what the rider waits). */
  answerMs: number;
  sentAt: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** One entry tap per rider, each with a fresh ride code, spread over 16 gates. */
export async function planTaps(
  codec: RideCodeCodec,
  riders: BenchRider[],
  prefix: string,
): Promise<PlannedTap[]> {
  const now = Date.now();
  const out: PlannedTap[] = [];
  for (const [i, r] of riders.entries()) {
    const gateId = `G${String((i % 16) + 1).padStart(2, '0')}`;
    const { code } = await codec.mint(r.riderId, now);
    const tapId = `${prefix}-${String(i).padStart(6, '0')}`;
    const body = {
      v: 1,
      tapId,
      stationId: STATION,
      gateId,
      mode: 'entry',
      temperatureC: r.profile === 'fever' ? 37.8 : 36.5,
      credential: { kind: 'ride-code', code },
    };
    out.push({
      tapId,
      subject: tapSubject(STATION, gateId),
      body: enc.encode(JSON.stringify(body)),
    });
  }
  return out;
}

/**
 * Gates as a vendor builds them: a tap waits `timeoutMs` for its answer and then sends the very
 * same message again (same tapId); while the gate's own link to NATS is down it waits for it.
 */
export class Gates {
  private connected = true;
  private reconnected: Promise<void> = Promise.resolve();
  private release: () => void = () => undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
    private readonly giveUpMs = 120_000,
  ) {
    void this.watch();
  }

  private async watch(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect' && this.connected) {
        this.connected = false;
        this.reconnected = new Promise((r) => (this.release = r));
      } else if (s.type === 'reconnect' && !this.connected) {
        this.connected = true;
        this.release();
      }
    }
  }

  async send(t: PlannedTap): Promise<TapRecord> {
    const sentAt = performance.now();
    let attempts = 0;
    while (performance.now() - sentAt < this.giveUpMs) {
      if (!this.connected) await this.reconnected;
      attempts++;
      try {
        const m = await this.nc.request(t.subject, t.body, { timeout: this.timeoutMs });
        const reply = JSON.parse(dec.decode(m.data)) as GateReply;
        return { ...t, reply, attempts, answerMs: performance.now() - sentAt, sentAt };
      } catch (e) {
        // Timeout, no responders, or a link that just dropped: the same tap again, after a
        // short pause so a gate with nobody to answer does not spin. Anything else is a bug.
        if (typeof (e as { code?: unknown }).code !== 'string') throw e;
        await sleep(50);
      }
    }
    return { ...t, reply: null, attempts, answerMs: performance.now() - sentAt, sentAt };
  }

  /** Sends `taps` at `perSecond`, never more than `maxInFlight` at once; resolves when all end. */
  async drive(taps: PlannedTap[], perSecond: number, maxInFlight = 64): Promise<TapRecord[]> {
    const out: Promise<TapRecord>[] = [];
    let inFlight = 0;
    const started = performance.now();
    for (const [i, t] of taps.entries()) {
      const due = started + (i * 1000) / perSecond;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      while (inFlight >= maxInFlight) await sleep(2);
      inFlight++;
      out.push(this.send(t).finally(() => inFlight--));
    }
    return Promise.all(out);
  }
}

export interface Figures {
  scenario: string;
  sent: number;
  answered: number;
  open: number;
  rows: number;
  /** Open replies whose checkInId has no row. */
  openWithoutRow: number;
  /** Rows beyond one per tap, plus rows beyond one per rider. */
  duplicates: number;
  /** Taps that needed more than one attempt. */
  retried: number;
  maxAnswerMs: number;
  reasons: Record<string, number>;
  note?: string;
}

/** Counts what the gates saw and what PostgreSQL holds for taps whose ids start with `prefix`. */
export async function figures(
  scenario: string,
  records: TapRecord[],
  pool: Pool,
  prefix: string,
): Promise<Figures> {
  const answered = records.filter((r) => r.reply !== null);
  const opens = answered.filter((r) => r.reply?.outcome === 'open');
  const like = `${prefix}%`;
  const q = await pool.query<{ rows: number; taps: number; riders: number; opened: number }>(
    `SELECT count(*)::int AS rows,
            count(DISTINCT (station_id, gate_id, tap_id))::int AS taps,
            count(DISTINCT rider_id)::int AS riders,
            count(*) FILTER (WHERE id = ANY($2::uuid[]))::int AS opened
       FROM check_ins WHERE tap_id LIKE $1`,
    [like, opens.map((r) => r.reply?.checkInId)],
  );
  const { rows, taps, riders, opened } = q.rows[0];
  const reasons: Record<string, number> = {};
  for (const r of answered) {
    const key = r.reply?.reasons.length ? r.reply.reasons.join('+') : 'open';
    reasons[key] = (reasons[key] ?? 0) + 1;
  }
  return {
    scenario,
    sent: records.length,
    answered: answered.length,
    open: opens.length,
    rows,
    openWithoutRow: opens.length - opened,
    duplicates: rows - taps + (rows - riders),
    retried: records.filter((r) => r.attempts > 1).length,
    maxAnswerMs: Math.round(Math.max(0, ...records.map((r) => r.answerMs))),
    reasons,
  };
}
