import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Principal } from '@app/access-token';
import { CallerThrottlerGuard, CurrentPrincipal, Roles } from '../auth/auth';
import {
  BlockCardDto,
  GuaranteeCardDto,
  GuaranteeCardViewDto,
  LinkCardDto,
  LinkedCardDto,
  RegisterTicketDto,
  TicketDto,
} from './cards.dto';
import { CardsService } from './cards.service';

/** The rider's own transit cards and day tickets. */
@ApiTags('cards and tickets')
@ApiBearerAuth()
@Roles('rider')
@UseGuards(CallerThrottlerGuard)
@Controller('riders/:riderId')
export class RiderCardsController {
  constructor(private readonly cards: CardsService) {}

  @Post('cards')
  @ApiCreatedResponse({ type: LinkedCardDto, description: 'Linked to the rider (idempotent)' })
  @ApiConflictResponse({ description: 'CARD_LINKED_ELSEWHERE or CARD_BLOCKED' })
  link(
    @Param('riderId', ParseUUIDPipe) riderId: string,
    @Body() dto: LinkCardDto,
  ): Promise<LinkedCardDto> {
    return this.cards.link(riderId, dto.cardNo);
  }

  @Delete('cards/:cardNo')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Unlinked' })
  unlink(
    @Param('riderId', ParseUUIDPipe) riderId: string,
    @Param('cardNo') cardNo: string,
  ): Promise<void> {
    return this.cards.unlink(riderId, cardNo);
  }

  @Post('cards/:cardNo/report-lost')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Blocked at once: gates answer CARD_BLOCKED' })
  reportLost(
    @Param('riderId', ParseUUIDPipe) riderId: string,
    @Param('cardNo') cardNo: string,
  ): Promise<void> {
    return this.cards.reportLost(riderId, cardNo);
  }

  @Post('tickets')
  @ApiCreatedResponse({ type: TicketDto })
  @ApiConflictResponse({ description: 'TICKET_EXISTS' })
  registerTicket(
    @Param('riderId', ParseUUIDPipe) riderId: string,
    @Body() dto: RegisterTicketDto,
  ): Promise<TicketDto> {
    return this.cards.registerTicket(riderId, dto.ticketNo, dto.kind, dto.validFrom);
  }

  @Get('tickets')
  @ApiOkResponse({ type: [TicketDto] })
  tickets(@Param('riderId', ParseUUIDPipe) riderId: string): Promise<TicketDto[]> {
    return this.cards.tickets(riderId);
  }
}

/** The operator's registry: 保通卡 guarantee pass cards and card blocking. */
@ApiTags('card registry')
@ApiBearerAuth()
@Roles('operator')
@Controller()
export class CardRegistryController {
  constructor(private readonly cards: CardsService) {}

  @Put('guarantee-cards/:cardNo')
  @ApiOkResponse({ type: GuaranteeCardViewDto })
  put(
    @CurrentPrincipal() p: Principal,
    @Param('cardNo') cardNo: string,
    @Body() dto: GuaranteeCardDto,
  ): Promise<GuaranteeCardViewDto> {
    return this.cards.putGuarantee(cardNo, dto.holderName, dto.validFrom, dto.validUntil, p.sub);
  }

  @Get('guarantee-cards/:cardNo')
  @ApiOkResponse({ type: GuaranteeCardViewDto })
  get(@Param('cardNo') cardNo: string): Promise<GuaranteeCardViewDto> {
    return this.cards.getGuarantee(cardNo);
  }

  @Delete('guarantee-cards/:cardNo')
  @HttpCode(204)
  remove(@Param('cardNo') cardNo: string): Promise<void> {
    return this.cards.deleteGuarantee(cardNo);
  }

  @Put('cards/:cardNo/block')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Gates answer CARD_BLOCKED from now on' })
  block(@Param('cardNo') cardNo: string, @Body() dto: BlockCardDto): Promise<void> {
    return this.cards.block(cardNo, dto.reason);
  }

  @Delete('cards/:cardNo/block')
  @HttpCode(204)
  unblock(@Param('cardNo') cardNo: string): Promise<void> {
    return this.cards.unblock(cardNo);
  }
}
