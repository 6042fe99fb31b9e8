import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Length, Matches } from 'class-validator';
import { MEDIUM_NO_PATTERN, mustMatch } from '@app/protocol';
import { ISO_INSTANT } from '../common/instants';

const INSTANT_MSG = 'must be an ISO-8601 instant with its offset, e.g. 2022-06-01T08:00:00+08:00';

export class LinkCardDto {
  @ApiProperty({ example: '3101000012345678', description: 'Transit card number' })
  @IsString()
  @Matches(MEDIUM_NO_PATTERN, { message: mustMatch('cardNo', MEDIUM_NO_PATTERN) })
  cardNo!: string;
}

export class LinkedCardDto {
  @ApiProperty() cardNo!: string;
  @ApiProperty({ description: 'ISO-8601 with +08:00' }) linkedAt!: string;
}

export class RegisterTicketDto {
  @ApiProperty({ example: 'DT20220601-0007' })
  @IsString()
  @Matches(MEDIUM_NO_PATTERN, { message: mustMatch('ticketNo', MEDIUM_NO_PATTERN) })
  ticketNo!: string;

  @ApiProperty({ enum: ['day', 'three-day'] })
  @IsIn(['day', 'three-day'])
  kind!: 'day' | 'three-day';

  @ApiProperty({
    example: '2022-06-01T00:00:00+08:00',
    description: 'Valid 24 h (day) or 72 h from here',
  })
  @IsString()
  @Matches(ISO_INSTANT, { message: `validFrom ${INSTANT_MSG}` })
  validFrom!: string;
}

export class TicketDto {
  @ApiProperty() ticketNo!: string;
  @ApiProperty({ enum: ['day', 'three-day'] }) kind!: string;
  @ApiProperty() validFrom!: string;
  @ApiProperty() validUntil!: string;
}

export class GuaranteeCardDto {
  @ApiProperty({ example: '张三', description: 'Holder as registered by the operator' })
  @IsString()
  @Length(1, 64)
  holderName!: string;

  @ApiProperty({ example: '2022-05-01T00:00:00+08:00' })
  @IsString()
  @Matches(ISO_INSTANT, { message: `validFrom ${INSTANT_MSG}` })
  validFrom!: string;

  @ApiProperty({ example: '2022-07-01T00:00:00+08:00', description: 'Exclusive' })
  @IsString()
  @Matches(ISO_INSTANT, { message: `validUntil ${INSTANT_MSG}` })
  validUntil!: string;
}

export class GuaranteeCardViewDto {
  @ApiProperty() cardNo!: string;
  @ApiProperty() holderName!: string;
  @ApiProperty() validFrom!: string;
  @ApiProperty() validUntil!: string;
}

export class BlockCardDto {
  @ApiProperty({ enum: ['lost', 'stolen', 'damaged', 'fraud'] })
  @IsIn(['lost', 'stolen', 'damaged', 'fraud'])
  reason!: 'lost' | 'stolen' | 'damaged' | 'fraud';
}
