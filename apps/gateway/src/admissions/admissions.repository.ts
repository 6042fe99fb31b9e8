import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import type { GateReply } from '@app/protocol';
import { PG_POOL } from '../common/tokens';

/** A tap the engine would open; PostgreSQL has the last word. */
export interface Admission {
  stationId: string;
  gateId: string;
  tapId: string;
  mode: 'entry' | 'exit';
  /** Anti-passback key: `rider:<id>`, `card:<no>`, `ticket:<no>`. */
  traveller: string;
  riderId: string | null;
  medium: string | null;
  /** Set for ride-code entries: the code opens at most one entry. */
  jti: string | null;
  jtiExpiresAt: number | null;
  checkInId: string;
  decidedAt: number;
  policyVersion: string;
  policyHash: string;
  /** Keyed HMAC of the ID number, for check-ins of people without a rider account. */
  personKey?: Buffer | null;
  /** A checkpoint scan or desk registration: the check-in only, no journey, no ride-code use. */
  venueOnly?: boolean;
}

export type AdmissionResult =
  | { kind: 'admitted' }
  | { kind: 'replayed' }
  | { kind: 'already-inside' }
  /** The same tap was committed before: answer with the reply it got then. */
  | { kind: 'duplicate'; reply: GateReply };

export type ReplyFor = (a: Admission, result: AdmissionResult) => GateReply;

const key = (a: { stationId: string; gateId: string; tapId: string }): string =>
  `${a.stationId}/${a.gateId}/${a.tapId}`;

/**
 * Commits a batch of taps in one transaction: receipts (idempotency), ride-code use (replay),
 * journeys (anti-passback) and check-ins. Callers guarantee no two items share a tap,
 * a jti or a traveller.
 */
@Injectable()
export class AdmissionsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async commit(
    items: Admission[],
    antiPassbackMs: number,
    timeoutMs: number,
    replyFor: ReplyFor,
  ): Promise<AdmissionResult[]> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
      const results = await this.apply(client, items, antiPassbackMs, replyFor);
      await client.query('COMMIT');
      return results;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  private async apply(
    c: PoolClient,
    items: Admission[],
    antiPassbackMs: number,
    replyFor: ReplyFor,
  ): Promise<AdmissionResult[]> {
    const results = new Map<Admission, AdmissionResult>();

    // 1. Claim each tap. A conflicting insert waits for the other transaction, then loses.
    const claimed = await c.query<{ station_id: string; gate_id: string; tap_id: string }>(
      `INSERT INTO tap_receipts (station_id, gate_id, tap_id, created_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
       ON CONFLICT DO NOTHING RETURNING station_id, gate_id, tap_id`,
      [
        items.map((i) => i.stationId),
        items.map((i) => i.gateId),
        items.map((i) => i.tapId),
        items.map((i) => new Date(i.decidedAt)),
      ],
    );
    const claimedKeys = new Set(
      claimed.rows.map((r) => key({ stationId: r.station_id, gateId: r.gate_id, tapId: r.tap_id })),
    );
    const dupes = items.filter((i) => !claimedKeys.has(key(i)));
    if (dupes.length > 0) {
      const prior = await c.query<{
        station_id: string;
        gate_id: string;
        tap_id: string;
        reply: GateReply | null;
      }>(
        `SELECT r.station_id, r.gate_id, r.tap_id, r.reply FROM tap_receipts r
         JOIN unnest($1::text[], $2::text[], $3::text[]) AS t(s, g, tap) ON r.station_id = t.s AND r.gate_id = t.g AND r.tap_id = t.tap`,
        [dupes.map((i) => i.stationId), dupes.map((i) => i.gateId), dupes.map((i) => i.tapId)],
      );
      const byKey = new Map(
        prior.rows.map((r) => [
          key({ stationId: r.station_id, gateId: r.gate_id, tapId: r.tap_id }),
          r.reply,
        ]),
      );
      for (const d of dupes) {
        const reply = byKey.get(key(d));
        if (!reply) throw new Error('tap receipt without a reply');
        results.set(d, { kind: 'duplicate', reply });
      }
    }
    let live = items.filter((i) => claimedKeys.has(key(i)));

    // 2. A ride code opens at most one entry.
    const withJti = live.filter((i) => i.mode === 'entry' && i.jti !== null);
    if (withJti.length > 0) {
      const won = await c.query<{ jti: string }>(
        `INSERT INTO ride_code_uses (jti, expires_at)
         SELECT * FROM unnest($1::text[], $2::timestamptz[]) ON CONFLICT DO NOTHING RETURNING jti`,
        [withJti.map((i) => i.jti), withJti.map((i) => new Date(i.jtiExpiresAt ?? i.decidedAt))],
      );
      const wonSet = new Set(won.rows.map((r) => r.jti));
      for (const i of withJti)
        if (!wonSet.has(i.jti as string)) results.set(i, { kind: 'replayed' });
      live = live.filter((i) => !results.has(i));
    }

    // 3. Anti-passback: an entry needs the traveller outside (or a stale entry); an exit closes it.
    const entries = live.filter((i) => i.mode === 'entry' && i.venueOnly !== true);
    if (entries.length > 0) {
      const entered = await c.query<{ traveller: string }>(
        `INSERT INTO journeys AS j (traveller, inside, station_id, changed_at)
         SELECT t.traveller, true, t.station_id, t.at FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS t(traveller, station_id, at)
         ON CONFLICT (traveller) DO UPDATE SET inside = true, station_id = EXCLUDED.station_id, changed_at = EXCLUDED.changed_at
         WHERE NOT j.inside OR j.changed_at < EXCLUDED.changed_at - make_interval(secs => $4::double precision / 1000)
         RETURNING traveller`,
        [
          entries.map((i) => i.traveller),
          entries.map((i) => i.stationId),
          entries.map((i) => new Date(i.decidedAt)),
          antiPassbackMs,
        ],
      );
      const inside = new Set(entered.rows.map((r) => r.traveller));
      const blocked = entries.filter((i) => !inside.has(i.traveller));
      for (const i of blocked) results.set(i, { kind: 'already-inside' });
      const freed = blocked.filter((i) => i.jti !== null).map((i) => i.jti);
      // The code did not open an entry, so it may still be used once the rider is out.
      if (freed.length > 0)
        await c.query('DELETE FROM ride_code_uses WHERE jti = ANY($1::text[])', [freed]);
      const admitted = entries.filter((i) => inside.has(i.traveller));
      if (admitted.length > 0) await this.insertCheckIns(c, admitted);
    }
    const venueOnly = live.filter((i) => i.venueOnly === true);
    if (venueOnly.length > 0) await this.insertCheckIns(c, venueOnly);
    const exits = live.filter((i) => i.mode === 'exit');
    if (exits.length > 0) {
      await c.query(
        `UPDATE journeys SET inside = false, changed_at = t.at
         FROM unnest($1::text[], $2::timestamptz[]) AS t(traveller, at) WHERE journeys.traveller = t.traveller`,
        [exits.map((i) => i.traveller), exits.map((i) => new Date(i.decidedAt))],
      );
    }
    for (const i of live) if (!results.has(i)) results.set(i, { kind: 'admitted' });

    // 4. Store each claimed tap's final reply for retries.
    const claimedItems = items.filter((i) => claimedKeys.has(key(i)));
    await c.query(
      `UPDATE tap_receipts r SET reply = t.reply
       FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[]) AS t(s, g, tap, reply)
       WHERE r.station_id = t.s AND r.gate_id = t.g AND r.tap_id = t.tap`,
      [
        claimedItems.map((i) => i.stationId),
        claimedItems.map((i) => i.gateId),
        claimedItems.map((i) => i.tapId),
        claimedItems.map((i) => JSON.stringify(replyFor(i, results.get(i) as AdmissionResult))),
      ],
    );
    return items.map((i) => results.get(i) as AdmissionResult);
  }

  private async insertCheckIns(c: PoolClient, admitted: Admission[]): Promise<void> {
    await c.query(
      `INSERT INTO check_ins (id, checked_in_at, rider_id, medium, station_id, gate_id, tap_id, policy_version, policy_hash, person_key)
       SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bytea[])`,
      [
        admitted.map((i) => i.checkInId),
        admitted.map((i) => new Date(i.decidedAt)),
        admitted.map((i) => i.riderId),
        admitted.map((i) => i.medium),
        admitted.map((i) => i.stationId),
        admitted.map((i) => i.gateId),
        admitted.map((i) => i.tapId),
        admitted.map((i) => i.policyVersion),
        admitted.map((i) => i.policyHash),
        admitted.map((i) => i.personKey ?? null),
      ],
    );
  }

  /** Drops what only mattered for a while: old receipts and spent ride-code ids. */
  async purgeExpired(
    receiptsBefore: Date,
    now: Date,
  ): Promise<{ receipts: number; codes: number }> {
    const r = await this.pool.query('DELETE FROM tap_receipts WHERE created_at < $1', [
      receiptsBefore,
    ]);
    const c = await this.pool.query('DELETE FROM ride_code_uses WHERE expires_at < $1', [now]);
    return { receipts: r.rowCount ?? 0, codes: c.rowCount ?? 0 };
  }
}
