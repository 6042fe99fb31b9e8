import { Inject, Injectable } from '@nestjs/common';
import {
  UNAVAILABLE,
  isUnavailable,
  type CredentialFacts,
  type RuleVersion,
  type Unavailable,
} from '@app/decision';
import type { GateCredential } from '@app/protocol';
import { BatchLoader } from '../common/batch-loader';
import type { Logger } from '../common/logger';
import { LOGGER } from '../common/tokens';
import {
  CardsRepository,
  type CardStatus,
  type PlaceKey,
  type TicketStatus,
} from './cards.repository';
import { RiderFactsService } from '../riders/rider-facts.service';

/** Where and when a gate read the medium. */
export interface TapPlace {
  stationId: string;
  gateId: string;
  tapId: string;
  /** The tap's deadline on performance.now(): a health lookup never waits past it. */
  deadlineMs?: number;
  /** The staff pass the lookup saw was spent by another tap first: decide without it. */
  passGone?: boolean;
}

/** Same shape as the tap service's established facts, plus the staff pass that clears it. */
export interface MediumFacts {
  facts: CredentialFacts;
  traveller: string | null;
  riderId: string | null;
  medium: string | null;
  jti: null;
  /** Cleared by a staff pass bound to one of these: the admission spends it, or refuses. */
  passFor?: readonly [string, string];
}

type TicketCredential = Extract<
  GateCredential,
  { kind: 'day-ticket' | 'companion-ticket' | 'single-journey' }
>;

/** Numbers and ids match ^[A-Za-z0-9_-]+$, so a space separates them unambiguously. */
const keyOf = (k: PlaceKey): string => `${k.no} ${k.stationId} ${k.gateId} ${k.at}`;

function placeOf(key: string): PlaceKey {
  const [no, stationId, gateId, at] = key.split(' ');
  return { no, stationId, gateId, at: Number(at) };
}

/**
 * Cards and tickets at the gate. Every tap's status comes from one batched, indexed query per
 * event-loop turn. A staff pass that query saw clears the tap; the admission spends it.
 */
@Injectable()
export class CardLookupService {
  private readonly cards: BatchLoader<string, CardStatus | undefined>;
  private readonly tickets: BatchLoader<string, TicketStatus | undefined>;

  constructor(
    repo: CardsRepository,
    private readonly riders: RiderFactsService,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.cards = this.loader((k) => repo.cardStatuses(k));
    this.tickets = this.loader((k) => repo.ticketStatuses(k));
  }

  private loader<V>(load: (keys: PlaceKey[]) => Promise<V[]>): BatchLoader<string, V | undefined> {
    return new BatchLoader<string, V | undefined>(
      async (ids) => {
        const rows = await load(ids.map(placeOf));
        return new Map(ids.map((id, i) => [id, rows[i]]));
      },
      (_ids, err) => {
        this.log.warn({ err: (err as Error).message }, 'card/ticket lookup failed');
        return undefined;
      },
    );
  }

  async card(
    cardNo: string,
    mode: 'entry' | 'exit',
    rules: RuleVersion,
    now: number,
    at: TapPlace,
  ): Promise<MediumFacts | Unavailable> {
    const s = await this.cards.load(
      keyOf({ no: cardNo, stationId: at.stationId, gateId: at.gateId, at: now }),
    );
    if (s === undefined) return UNAVAILABLE;
    const medium = `card:${cardNo}`;
    const plain = { traveller: medium, riderId: null, medium, jti: null } as const;
    if (s.blocked) return { facts: { kind: 'rejected', reason: 'CARD_BLOCKED' }, ...plain };
    if (mode === 'entry' && s.hasPass && at.passGone !== true)
      return {
        facts: { kind: 'cleared' },
        ...(s.riderId ? { ...plain, traveller: `rider:${s.riderId}`, riderId: s.riderId } : plain),
        passFor: [medium, `gate:${at.gateId}`],
      };
    if (s.riderId !== null) {
      const facts = await this.riders.of(s.riderId, mode, rules, at.deadlineMs);
      if (isUnavailable(facts)) return facts;
      return { facts, traveller: `rider:${s.riderId}`, riderId: s.riderId, medium, jti: null };
    }
    if (s.guarantee && s.guarantee.from <= now && now < s.guarantee.until)
      return { facts: { kind: 'guarantee-pass' }, ...plain };
    return { facts: { kind: 'venue-check' }, ...plain };
  }

  async ticket(
    c: TicketCredential,
    mode: 'entry' | 'exit',
    rules: RuleVersion,
    now: number,
    at: TapPlace,
  ): Promise<MediumFacts | Unavailable> {
    const s = await this.tickets.load(
      keyOf({ no: c.ticketNo, stationId: at.stationId, gateId: at.gateId, at: now }),
    );
    if (s === undefined) return UNAVAILABLE;
    const bound = `ticket:${c.ticketNo}`;
    const riderId = c.kind === 'day-ticket' ? (s.ticket?.riderId ?? null) : null;
    const base = {
      traveller: bound,
      riderId,
      medium: `${c.kind}:${c.ticketNo}`,
      jti: null,
    } as const;
    if (mode === 'exit') return { facts: { kind: 'venue-check' }, ...base };
    const t = c.kind === 'day-ticket' ? s.ticket : null;
    const windowMs = rules.dayTicketClearanceMinutes * 60_000;
    // A clearance counts while now < clearedAt + window: at exactly the window's end it is over.
    if (
      t !== null &&
      t.from <= now &&
      now < t.until &&
      s.clearedAt !== null &&
      now < s.clearedAt + windowMs
    )
      return { facts: { kind: 'cleared' }, ...base };
    if (s.hasPass && at.passGone !== true)
      return { facts: { kind: 'cleared' }, ...base, passFor: [bound, `gate:${at.gateId}`] };
    return { facts: { kind: 'venue-check' }, ...base };
  }
}
