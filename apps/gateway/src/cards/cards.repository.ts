import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource, IsNull, Not, type Repository } from 'typeorm';
import { GuaranteeCardEntity, TicketEntity, TransitCardEntity, pgPool } from '@app/persistence';

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

/**
 * Instants cross the gate's batched lookups as epoch milliseconds, both ways: pg would otherwise
 * format a Date for every key and parse one for every row. Truncated to the millisecond, as a
 * parsed Date is; float8 and int4 come back as numbers, int8 would come back as text.
 */
const ms = (sql: string): string => `floor(extract(epoch FROM ${sql}) * 1000)::float8`;

/** The batch's keys, in order (i from 1), each with its instant as a timestamptz. */
const PLACES = `(SELECT u.no, u.station_id, u.gate_id, u.i::int4 AS i,
    'epoch'::timestamptz + u.at_ms * interval '1 millisecond' AS at
  FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[]) WITH ORDINALITY AS u(no, station_id, gate_id, at_ms, i))`;

/** Registry writes and the batched lookups the gate hot path makes for cards and tickets. */
@Injectable()
export class CardsRepository {
  private readonly cards: Repository<TransitCardEntity>;
  private readonly guarantees: Repository<GuaranteeCardEntity>;
  private readonly tickets: Repository<TicketEntity>;
  /** The gate's batched lookups and the conditional upserts are SQL. */
  private readonly pool: Pool;

  constructor(ds: DataSource) {
    this.cards = ds.getRepository(TransitCardEntity);
    this.guarantees = ds.getRepository(GuaranteeCardEntity);
    this.tickets = ds.getRepository(TicketEntity);
    this.pool = pgPool(ds);
  }

  async cardStatuses(keys: PlaceKey[]): Promise<CardStatus[]> {
    const r = await this.pool.query<{
      i: number;
      rider_id: string | null;
      blocked: boolean;
      g_from: number | null;
      g_until: number | null;
      has_pass: boolean;
    }>(
      `SELECT k.i, c.rider_id, c.blocked_at IS NOT NULL AS blocked, ${ms('g.valid_from')} AS g_from, ${ms('g.valid_until')} AS g_until,
         EXISTS (SELECT 1 FROM staff_passes p WHERE p.used_at IS NULL AND p.station_id = k.station_id
           AND p.bound_to IN ('card:' || k.no, 'gate:' || k.gate_id) AND p.expires_at > k.at AND p.issued_at <= k.at) AS has_pass
       FROM ${PLACES} AS k
       LEFT JOIN transit_cards c ON c.card_no = k.no
       LEFT JOIN guarantee_cards g ON g.card_no = k.no`,
      placeArrays(keys),
    );
    const out: CardStatus[] = new Array<CardStatus>(keys.length);
    for (const row of r.rows) {
      out[row.i - 1] = {
        riderId: row.rider_id,
        blocked: row.blocked,
        guarantee:
          row.g_from !== null && row.g_until !== null
            ? { from: row.g_from, until: row.g_until }
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
      valid_from: number | null;
      valid_until: number | null;
      cleared_at: number | null;
      has_pass: boolean;
    }>(
      `SELECT k.i, t.rider_id, t.kind, ${ms('t.valid_from')} AS valid_from, ${ms('t.valid_until')} AS valid_until,
         ${ms(`(SELECT max(c.cleared_at) FROM checkpoint_clearances c
            WHERE c.rider_id = t.rider_id AND c.station_id = k.station_id AND c.cleared_at <= k.at)`)} AS cleared_at,
         EXISTS (SELECT 1 FROM staff_passes p WHERE p.used_at IS NULL AND p.station_id = k.station_id
           AND p.bound_to IN ('ticket:' || k.no, 'gate:' || k.gate_id) AND p.expires_at > k.at AND p.issued_at <= k.at) AS has_pass
       FROM ${PLACES} AS k
       LEFT JOIN tickets t ON t.ticket_no = k.no`,
      placeArrays(keys),
    );
    const out: TicketStatus[] = new Array<TicketStatus>(keys.length);
    for (const row of r.rows) {
      out[row.i - 1] = {
        ticket:
          row.rider_id && row.kind && row.valid_from !== null && row.valid_until !== null
            ? {
                riderId: row.rider_id,
                kind: row.kind,
                from: row.valid_from,
                until: row.valid_until,
              }
            : null,
        clearedAt: row.cleared_at,
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
    const r = await this.cards.update({ cardNo, riderId }, { riderId: null, linkedAt: null });
    return r.affected === 1;
  }

  /** Blocked from the first report on; a repeated report keeps the first instant. */
  async reportLost(riderId: string, cardNo: string, at: Date): Promise<boolean> {
    const r = await this.cards
      .createQueryBuilder()
      .update()
      .set({ blockedAt: () => 'COALESCE(blocked_at, :at)', blockedReason: 'lost' })
      .where({ cardNo, riderId })
      .setParameter('at', at)
      .execute();
    return r.affected === 1;
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
    const r = await this.cards.update(
      { cardNo, blockedAt: Not(IsNull()) },
      { blockedAt: null, blockedReason: null },
    );
    return r.affected === 1;
  }

  async upsertGuarantee(
    cardNo: string,
    holderName: string,
    from: Date,
    until: Date,
    by: string,
  ): Promise<void> {
    await this.guarantees.upsert(
      {
        cardNo,
        holderName,
        validFrom: from,
        validUntil: until,
        updatedBy: by,
        updatedAt: () => 'now()',
      },
      ['cardNo'],
    );
  }

  async findGuarantee(
    cardNo: string,
  ): Promise<{ holderName: string; from: number; until: number } | null> {
    const g = await this.guarantees.findOneBy({ cardNo });
    return g
      ? { holderName: g.holderName, from: g.validFrom.getTime(), until: g.validUntil.getTime() }
      : null;
  }

  async deleteGuarantee(cardNo: string): Promise<boolean> {
    const r = await this.guarantees.delete({ cardNo });
    return r.affected === 1;
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
      const r = await this.tickets
        .createQueryBuilder()
        .insert()
        .values({ ticketNo, kind, riderId, validFrom: from, validUntil: until })
        .orIgnore()
        .returning('ticket_no')
        .execute();
      return r.raw.length === 1 ? 'created' : 'exists';
    } catch (e) {
      if ((e as { code?: string }).code === '23503') return 'no-rider';
      throw e;
    }
  }

  async ticketsOf(
    riderId: string,
  ): Promise<{ ticketNo: string; kind: TicketKind; from: number; until: number }[]> {
    const rows = await this.tickets.find({ where: { riderId }, order: { validFrom: 'ASC' } });
    return rows.map((t) => ({
      ticketNo: t.ticketNo,
      kind: t.kind,
      from: t.validFrom.getTime(),
      until: t.validUntil.getTime(),
    }));
  }
}

function placeArrays(keys: PlaceKey[]): unknown[] {
  return [
    keys.map((k) => k.no),
    keys.map((k) => k.stationId),
    keys.map((k) => k.gateId),
    keys.map((k) => Math.trunc(k.at)),
  ];
}
