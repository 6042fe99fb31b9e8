import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../common/tokens';

/** What a gate needs to know about a card at a place and instant; one row per key. */
export interface CardStatus {
  riderId: string | null;
  blocked: boolean;
  guarantee: { from: number; until: number } | null;
  /** An unused staff pass for this card or this gate at this station. */
  hasPass: boolean;
}

export interface TicketStatus {
  /** Day and three-day tickets only; null for unregistered numbers. */
  ticket: { riderId: string; kind: TicketKind; from: number; until: number } | null;
  /** The rider's latest checkpoint clearance at this station, at or before the instant. */
  clearedAt: number | null;
  hasPass: boolean;
}

export interface PlaceKey {
  no: string;
  stationId: string;
  gateId: string;
  at: number;
}

export type TicketKind = 'day' | 'three-day';
export type LinkResult = 'linked' | 'elsewhere' | 'blocked' | 'no-rider';

const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());

/** Registry writes and the batched lookups the gate hot path makes for cards and tickets. */
@Injectable()
export class CardsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async cardStatuses(keys: PlaceKey[]): Promise<CardStatus[]> {
    const r = await this.pool.query<{
      i: number;
      rider_id: string | null;
      blocked: boolean;
      g_from: Date | null;
      g_until: Date | null;
      has_pass: boolean;
    }>(
      `SELECT k.i, c.rider_id, c.blocked_at IS NOT NULL AS blocked, g.valid_from AS g_from, g.valid_until AS g_until,
         EXISTS (SELECT 1 FROM staff_passes p WHERE p.used_at IS NULL AND p.station_id = k.station_id
           AND p.bound_to IN ('card:' || k.no, 'gate:' || k.gate_id) AND p.expires_at > k.at AND p.issued_at <= k.at) AS has_pass
       FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) WITH ORDINALITY AS k(no, station_id, gate_id, at, i)
       LEFT JOIN transit_cards c ON c.card_no = k.no
       LEFT JOIN guarantee_cards g ON g.card_no = k.no`,
      placeArrays(keys),
    );
    const out: CardStatus[] = new Array<CardStatus>(keys.length);
    for (const row of r.rows) {
      out[Number(row.i) - 1] = {
        riderId: row.rider_id,
        blocked: row.blocked,
        guarantee:
          row.g_from && row.g_until
            ? { from: row.g_from.getTime(), until: row.g_until.getTime() }
            : null,
        hasPass: row.has_pass,
      };
    }
    return out;
  }

  async ticketStatuses(keys: PlaceKey[]): Promise<TicketStatus[]> {
    const r = await this.pool.query<{
      i: number;
      rider_id: string | null;
      kind: TicketKind | null;
      valid_from: Date | null;
      valid_until: Date | null;
      cleared_at: Date | null;
      has_pass: boolean;
    }>(
      `SELECT k.i, t.rider_id, t.kind, t.valid_from, t.valid_until,
         (SELECT max(c.cleared_at) FROM checkpoint_clearances c
            WHERE c.rider_id = t.rider_id AND c.station_id = k.station_id AND c.cleared_at <= k.at) AS cleared_at,
         EXISTS (SELECT 1 FROM staff_passes p WHERE p.used_at IS NULL AND p.station_id = k.station_id
           AND p.bound_to IN ('ticket:' || k.no, 'gate:' || k.gate_id) AND p.expires_at > k.at AND p.issued_at <= k.at) AS has_pass
       FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) WITH ORDINALITY AS k(no, station_id, gate_id, at, i)
       LEFT JOIN tickets t ON t.ticket_no = k.no`,
      placeArrays(keys),
    );
    const out: TicketStatus[] = new Array<TicketStatus>(keys.length);
    for (const row of r.rows) {
      out[Number(row.i) - 1] = {
        ticket:
          row.rider_id && row.kind && row.valid_from && row.valid_until
            ? {
                riderId: row.rider_id,
                kind: row.kind,
                from: row.valid_from.getTime(),
                until: row.valid_until.getTime(),
              }
            : null,
        clearedAt: ms(row.cleared_at),
        hasPass: row.has_pass,
      };
    }
    return out;
  }

  /** One card, one rider: a card linked to someone else, or blocked, is not taken over. */
  async link(riderId: string, cardNo: string, at: Date): Promise<LinkResult> {
    try {
      const r = await this.pool.query<{ rider_id: string | null; blocked: boolean }>(
        `INSERT INTO transit_cards AS c (card_no, rider_id, linked_at) VALUES ($1, $2, $3)
         ON CONFLICT (card_no) DO UPDATE SET rider_id = EXCLUDED.rider_id,
           linked_at = CASE WHEN c.rider_id = EXCLUDED.rider_id THEN c.linked_at ELSE EXCLUDED.linked_at END
         WHERE (c.rider_id IS NULL OR c.rider_id = EXCLUDED.rider_id) AND c.blocked_at IS NULL
         RETURNING rider_id, false AS blocked`,
        [cardNo, riderId, at],
      );
      if (r.rowCount === 1) return 'linked';
    } catch (e) {
      if ((e as { code?: string }).code === '23503') return 'no-rider';
      throw e;
    }
    const existing = await this.pool.query<{ blocked: boolean }>(
      'SELECT blocked_at IS NOT NULL AS blocked FROM transit_cards WHERE card_no = $1',
      [cardNo],
    );
    return existing.rows[0]?.blocked ? 'blocked' : 'elsewhere';
  }

  async unlink(riderId: string, cardNo: string): Promise<boolean> {
    const r = await this.pool.query(
      'UPDATE transit_cards SET rider_id = NULL, linked_at = NULL WHERE card_no = $1 AND rider_id = $2',
      [cardNo, riderId],
    );
    return r.rowCount === 1;
  }

  async reportLost(riderId: string, cardNo: string, at: Date): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE transit_cards SET blocked_at = COALESCE(blocked_at, $3), blocked_reason = 'lost'
       WHERE card_no = $1 AND rider_id = $2`,
      [cardNo, riderId, at],
    );
    return r.rowCount === 1;
  }

  async block(cardNo: string, reason: string, at: Date): Promise<void> {
    await this.pool.query(
      `INSERT INTO transit_cards (card_no, blocked_at, blocked_reason) VALUES ($1, $2, $3)
       ON CONFLICT (card_no) DO UPDATE SET blocked_at = COALESCE(transit_cards.blocked_at, EXCLUDED.blocked_at),
         blocked_reason = EXCLUDED.blocked_reason`,
      [cardNo, at, reason],
    );
  }

  async unblock(cardNo: string): Promise<boolean> {
    const r = await this.pool.query(
      'UPDATE transit_cards SET blocked_at = NULL, blocked_reason = NULL WHERE card_no = $1 AND blocked_at IS NOT NULL',
      [cardNo],
    );
    return r.rowCount === 1;
  }

  async upsertGuarantee(
    cardNo: string,
    holderName: string,
    from: Date,
    until: Date,
    by: string,
  ): Promise<void> {
    await this.pool.query(
      `INSERT INTO guarantee_cards (card_no, holder_name, valid_from, valid_until, updated_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (card_no) DO UPDATE SET holder_name = EXCLUDED.holder_name, valid_from = EXCLUDED.valid_from,
         valid_until = EXCLUDED.valid_until, updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [cardNo, holderName, from, until, by],
    );
  }

  async findGuarantee(
    cardNo: string,
  ): Promise<{ holderName: string; from: number; until: number } | null> {
    const r = await this.pool.query<{ holder_name: string; valid_from: Date; valid_until: Date }>(
      'SELECT holder_name, valid_from, valid_until FROM guarantee_cards WHERE card_no = $1',
      [cardNo],
    );
    const row = r.rows[0];
    return row
      ? {
          holderName: row.holder_name,
          from: row.valid_from.getTime(),
          until: row.valid_until.getTime(),
        }
      : null;
  }

  async deleteGuarantee(cardNo: string): Promise<boolean> {
    const r = await this.pool.query('DELETE FROM guarantee_cards WHERE card_no = $1', [cardNo]);
    return r.rowCount === 1;
  }

  /** 'exists' when the number is taken (by anyone: a ticket number is printed once). */
  async createTicket(
    ticketNo: string,
    kind: TicketKind,
    riderId: string,
    from: Date,
    until: Date,
  ): Promise<'created' | 'exists' | 'no-rider'> {
    try {
      const r = await this.pool.query(
        `INSERT INTO tickets (ticket_no, kind, rider_id, valid_from, valid_until) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (ticket_no) DO NOTHING`,
        [ticketNo, kind, riderId, from, until],
      );
      return r.rowCount === 1 ? 'created' : 'exists';
    } catch (e) {
      if ((e as { code?: string }).code === '23503') return 'no-rider';
      throw e;
    }
  }

  async ticketsOf(
    riderId: string,
  ): Promise<{ ticketNo: string; kind: TicketKind; from: number; until: number }[]> {
    const r = await this.pool.query<{
      ticket_no: string;
      kind: TicketKind;
      valid_from: Date;
      valid_until: Date;
    }>(
      'SELECT ticket_no, kind, valid_from, valid_until FROM tickets WHERE rider_id = $1 ORDER BY valid_from',
      [riderId],
    );
    return r.rows.map((row) => ({
      ticketNo: row.ticket_no,
      kind: row.kind,
      from: row.valid_from.getTime(),
      until: row.valid_until.getTime(),
    }));
  }
}

function placeArrays(keys: PlaceKey[]): unknown[] {
  return [
    keys.map((k) => k.no),
    keys.map((k) => k.stationId),
    keys.map((k) => k.gateId),
    keys.map((k) => new Date(k.at)),
  ];
}
