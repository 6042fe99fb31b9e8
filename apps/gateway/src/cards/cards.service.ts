import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { MEDIUM_NO_PATTERN, formatShanghai, mustMatch } from '@app/protocol';
import { AppError } from '../common/errors';
import { instant } from '../common/instants';
import type { Clock } from '../common/clock';
import { CLOCK, CONFIG } from '../common/tokens';
import type { GatewayConfig } from '../config';
import { AuthorityClient } from '../health-link/authority.client';
import { hashIdNumber } from '../riders/id-hash';
import { RidersRepository } from '../riders/riders.repository';
import { CardsRepository, type TicketKind } from './cards.repository';
import { type GuaranteeCardViewDto, type LinkedCardDto, type TicketDto } from './cards.dto';

const HOUR_MS = 3_600_000;
const TICKET_HOURS: Record<TicketKind, number> = { day: 24, 'three-day': 72 };

export function mediumNo(no: string, field: string): string {
  if (!MEDIUM_NO_PATTERN.test(no))
    throw new AppError('VALIDATION_FAILED', mustMatch(field, MEDIUM_NO_PATTERN));
  return no;
}

/** Riders' cards and tickets, and the operator's card registry. */
@Injectable()
export class CardsService {
  constructor(
    private readonly repo: CardsRepository,
    private readonly riders: RidersRepository,
    private readonly authority: AuthorityClient,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Only the card's real-name holder, as the card registry records them, may link it: the
   * holder's number is hashed and compared with the rider's proved identity, then dropped.
   */
  async link(riderId: string, cardNo: string): Promise<LinkedCardDto> {
    mediumNo(cardNo, 'cardNo');
    const rider = await this.riders.find(riderId);
    if (!rider) throw new AppError('RIDER_NOT_FOUND', 'no such rider');
    const holder = await this.authority.cardHolder(cardNo);
    if (holder === null || !this.isHolder(rider.idHash, holder))
      throw new AppError(
        'CARD_NOT_YOURS',
        'only the real-name holder of a card may link it, and this rider is not its holder',
      );
    const now = this.clock.now();
    switch (await this.repo.link(riderId, cardNo, new Date(now))) {
      case 'linked':
        return { cardNo, linkedAt: formatShanghai(now) };
      case 'elsewhere':
        throw new AppError('CARD_LINKED_ELSEWHERE', 'this card is linked to another rider');
      case 'blocked':
        throw new AppError('CARD_BLOCKED', 'this card is blocked');
      case 'no-rider':
        throw new AppError('RIDER_NOT_FOUND', 'no such rider');
    }
  }

  private isHolder(riderHash: Buffer, holderIdNumber: string): boolean {
    const keys = [this.config.idHashKey, this.config.idHashKeyPrevious];
    return keys.some(
      (key) => key !== null && timingSafeEqual(riderHash, hashIdNumber(key, holderIdNumber)),
    );
  }

  async unlink(riderId: string, cardNo: string): Promise<void> {
    if (!(await this.repo.unlink(riderId, mediumNo(cardNo, 'cardNo'))))
      throw new AppError('NOT_FOUND', 'this card is not linked to this rider');
  }

  async reportLost(riderId: string, cardNo: string): Promise<void> {
    const at = new Date(this.clock.now());
    if (!(await this.repo.reportLost(riderId, mediumNo(cardNo, 'cardNo'), at)))
      throw new AppError('NOT_FOUND', 'this card is not linked to this rider');
  }

  async registerTicket(
    riderId: string,
    ticketNo: string,
    kind: TicketKind,
    validFrom: string,
  ): Promise<TicketDto> {
    const from = instant(validFrom, 'validFrom');
    const until = from + TICKET_HOURS[kind] * HOUR_MS;
    switch (
      await this.repo.createTicket(ticketNo, kind, riderId, new Date(from), new Date(until))
    ) {
      case 'created':
        return {
          ticketNo,
          kind,
          validFrom: formatShanghai(from),
          validUntil: formatShanghai(until),
        };
      case 'exists':
        throw new AppError('TICKET_EXISTS', 'this ticket number is already registered');
      case 'no-rider':
        throw new AppError('RIDER_NOT_FOUND', 'no such rider');
    }
  }

  async tickets(riderId: string): Promise<TicketDto[]> {
    return (await this.repo.ticketsOf(riderId)).map((t) => ({
      ticketNo: t.ticketNo,
      kind: t.kind,
      validFrom: formatShanghai(t.from),
      validUntil: formatShanghai(t.until),
    }));
  }

  async putGuarantee(
    cardNo: string,
    holderName: string,
    validFrom: string,
    validUntil: string,
    by: string,
  ): Promise<GuaranteeCardViewDto> {
    const from = instant(validFrom, 'validFrom');
    const until = instant(validUntil, 'validUntil');
    if (until <= from)
      throw new AppError('VALIDATION_FAILED', 'validUntil must be after validFrom');
    await this.repo.upsertGuarantee(
      mediumNo(cardNo, 'cardNo'),
      holderName,
      new Date(from),
      new Date(until),
      by,
    );
    return {
      cardNo,
      holderName,
      validFrom: formatShanghai(from),
      validUntil: formatShanghai(until),
    };
  }

  async getGuarantee(cardNo: string): Promise<GuaranteeCardViewDto> {
    const g = await this.repo.findGuarantee(mediumNo(cardNo, 'cardNo'));
    if (!g) throw new AppError('NOT_FOUND', 'no such guarantee pass card');
    return {
      cardNo,
      holderName: g.holderName,
      validFrom: formatShanghai(g.from),
      validUntil: formatShanghai(g.until),
    };
  }

  async deleteGuarantee(cardNo: string): Promise<void> {
    if (!(await this.repo.deleteGuarantee(mediumNo(cardNo, 'cardNo'))))
      throw new AppError('NOT_FOUND', 'no such guarantee pass card');
  }

  async block(cardNo: string, reason: string): Promise<void> {
    await this.repo.block(mediumNo(cardNo, 'cardNo'), reason, new Date(this.clock.now()));
  }

  async unblock(cardNo: string): Promise<void> {
    if (!(await this.repo.unblock(mediumNo(cardNo, 'cardNo'))))
      throw new AppError('NOT_FOUND', 'this card is not blocked');
  }
}
