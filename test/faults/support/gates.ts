import type { NatsConnection } from 'nats';
import type { Pool } from 'pg';
import type { GateReply } from '@app/protocol';
import { tapSubject } from '@app/protocol';
import type { RideCodeCodec } from '@app/ride-code';
import type { BenchRider, Profile } from '../../../gate-sim/src/bench/seed';
import { STATION, sleep } from './harness';

export interface PlannedTap {
  tapId: string;
  subject: string;
  body: Uint8Array;
  mode: 'entry' | 'exit';
  gateId: string;
  riderId: string;
  /** The ride code shown: a rider tapping again after a refusal shows the same one. */
  code: string;
  temperatureC: number;
  profile: Profile;
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

/**
 * One tap per rider, each with a fresh ride code, spread over 16 gates; entries unless told.
 * Fevered riders' gates read 37.8 °C, everyone else's 36.5 °C.
 */
export async function planTaps(
  codec: RideCodeCodec,
  riders: BenchRider[],
  prefix: string,
  mode: 'entry' | 'exit' = 'entry',
): Promise<PlannedTap[]> {
  const now = Date.now();
  const out: PlannedTap[] = [];
  for (const [i, r] of riders.entries()) {
    const { code } = await codec.mint(r.riderId, now);
    out.push(
      tapOf(`${prefix}-${String(i).padStart(6, '0')}`, {
        gateId: `G${String((i % 16) + 1).padStart(2, '0')}`,
        riderId: r.riderId,
        profile: r.profile,
        code,
        mode,
        temperatureC: r.profile === 'fever' ? 37.8 : 36.5,
      }),
    );
  }
  return out;
}

/**
 * What an entry tap of a seeded rider gets when nothing is broken (the seeded 2022 rules, a
 * fresh status): `[]` means `open`.
 */
export function usualReasons(profile: Profile): string[] {
  switch (profile) {
    case 'healthy':
      return [];
    case 'expired':
      return ['TEST_EXPIRED'];
    case 'yellow':
      return ['HEALTH_CODE_NOT_GREEN'];
    case 'no-test':
      return ['TEST_MISSING'];
    case 'not-authorized':
      return ['NOT_AUTHORIZED'];
    case 'fever':
      return ['TEMPERATURE_HIGH'];
  }
}

/** Whether a tap got what its rider gets when nothing is broken. */
export const gotUsual = (r: TapRecord): boolean =>
  r.reply !== null &&
  JSON.stringify([...r.reply.reasons].sort()) === JSON.stringify(usualReasons(r.profile));

/** The same rider, code and reading again under a new tapId: what a rider does after a refusal. */
export function again(t: PlannedTap, tapId: string): PlannedTap {
  return tapOf(tapId, t);
}

/** The same tap presented at another gate of the station. */
export function atGate(t: PlannedTap, gateId: string): PlannedTap {
  return tapOf(t.tapId, { ...t, gateId });
}

function tapOf(
  tapId: string,
  t: Pick<PlannedTap, 'gateId' | 'riderId' | 'profile' | 'code' | 'mode' | 'temperatureC'>,
): PlannedTap {
  const body = {
    v: 1,
    tapId,
    stationId: STATION,
    gateId: t.gateId,
    mode: t.mode,
    temperatureC: t.temperatureC,
    credential: { kind: 'ride-code', code: t.code },
  };
  const { gateId, riderId, profile, code, mode, temperatureC } = t;
  return {
    ...{ gateId, riderId, profile, code, mode, temperatureC },
    tapId,
    subject: tapSubject(STATION, gateId),
    body: enc.encode(JSON.stringify(body)),
  };
}

/**
 * Gates as a vendor builds them: a tap waits `timeoutMs` for its answer and then sends the very
 * same message again (same tapId); while the gate's own link to NATS is down it waits for it.
 */
export class Gates {
  private connected = true;
  /** How often the gates' own link to NATS dropped. */
  disconnects = 0;
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
        this.disconnects++;
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

/** The most taps sent and not yet answered at any one instant, as the gates saw it. */
export function peakOutstanding(records: TapRecord[]): number {
  const events = records.flatMap((r) => [
    { at: r.sentAt, d: 1 },
    { at: r.sentAt + r.answerMs, d: -1 },
  ]);
  events.sort((a, b) => a.at - b.at || a.d - b.d);
  let now = 0;
  let peak = 0;
  for (const e of events) peak = Math.max(peak, (now += e.d));
  return peak;
}

export interface Figures {
  scenario: string;
  sent: number;
  answered: number;
  open: number;
  /** Live check-in rows of the scenario's taps (rows marked void are not counted). */
  rows: number;
  /** Open replies whose checkInId has no live row. */
  openWithoutRow: number;
  /** Live rows whose id no `open` reply named: a check-in for a rider the gate kept out. */
  orphans: number;
  /** Live rows beyond one per tap, plus a rider's live rows beyond the entry taps they made. */
  duplicates: number;
  /** Taps that needed more than one attempt. */
  retried: number;
  maxAnswerMs: number;
  reasons: Record<string, number>;
  note?: string;
}

/**
 * How a check-in row is marked void, if the schema has such a mark: a voided row is kept for the
 * record but is no check-in, so it is neither counted nor an orphan.
 */
async function liveRowCondition(pool: Pool): Promise<string> {
  const r = await pool.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_name = 'check_ins' AND column_name = 'voided_at'`,
  );
  return r.rows.length > 0 ? 'voided_at IS NULL' : 'true';
}

/** Counts what the gates saw and what PostgreSQL holds for taps whose ids start with `prefix`. */
export async function figures(
  scenario: string,
  records: TapRecord[],
  pool: Pool,
  prefix: string | string[],
): Promise<Figures> {
  const answered = records.filter((r) => r.reply !== null);
  // An open exit closes a journey and records no check-in.
  const opens = answered.filter((r) => r.reply?.outcome === 'open' && r.mode === 'entry');
  const likes = (Array.isArray(prefix) ? prefix : [prefix]).map((p) => `${p}%`);
  const live = await liveRowCondition(pool);
  const q = await pool.query<{ rider: string | null; rows: number; taps: number; opened: number }>(
    `SELECT rider_id AS rider, count(*)::int AS rows,
            count(DISTINCT (station_id, gate_id, tap_id))::int AS taps,
            count(*) FILTER (WHERE id = ANY($2::uuid[]))::int AS opened
       FROM check_ins WHERE tap_id LIKE ANY($1::text[]) AND ${live}
      GROUP BY rider_id`,
    [likes, opens.map((r) => r.reply?.checkInId)],
  );
  const entriesOf = new Map<string, number>();
  for (const r of records)
    if (r.mode === 'entry') entriesOf.set(r.riderId, (entriesOf.get(r.riderId) ?? 0) + 1);
  let rows = 0;
  let opened = 0;
  let duplicates = 0;
  for (const g of q.rows) {
    rows += g.rows;
    opened += g.opened;
    // Rows beyond one per tap, and beyond one per entry tap the rider made.
    duplicates += g.rows - g.taps + Math.max(0, g.rows - (entriesOf.get(g.rider ?? '') ?? 0));
  }
  const reasons: Record<string, number> = {};
  for (const r of answered) {
    const key = r.reply?.reasons.length ? r.reply.reasons.join('+') : 'open';
    reasons[key] = (reasons[key] ?? 0) + 1;
  }
  return {
    scenario,
    sent: records.length,
    answered: answered.length,
    open: answered.filter((r) => r.reply?.outcome === 'open').length,
    rows,
    openWithoutRow: opens.length - opened,
    orphans: rows - opened,
    duplicates,
    retried: records.filter((r) => r.attempts > 1).length,
    maxAnswerMs: Math.round(Math.max(0, ...records.map((r) => r.answerMs))),
    reasons,
  };
}
