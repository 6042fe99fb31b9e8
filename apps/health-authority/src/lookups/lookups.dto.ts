import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Length, Matches } from 'class-validator';
import { HealthSummaryDto } from '../common/health-summary.dto';
import { ID_NUMBER, ID_NUMBER_MESSAGE } from '../common/validation';
import { HealthStatusDto } from '../consents/consents.dto';

export const LOOKUP_PURPOSES = ['digital-sentinel', 'staff-desk'] as const;
export type LookupPurpose = (typeof LOOKUP_PURPOSES)[number];

export class IdNumberLookupDto {
  @ApiProperty({ example: '310101195001011234', pattern: ID_NUMBER.source })
  @Matches(ID_NUMBER, { message: ID_NUMBER_MESSAGE })
  idNumber!: string;

  @ApiProperty({ enum: LOOKUP_PURPOSES, description: 'Who asks, with the person present' })
  @IsIn(LOOKUP_PURPOSES)
  purpose!: LookupPurpose;
}

export class IdNumberLookupResultDto {
  @ApiProperty() found!: boolean;
  @ApiProperty({ type: HealthSummaryDto, nullable: true }) health!: HealthSummaryDto | null;
}

export class ElderlyChildLookupDto {
  @ApiProperty({ example: '310101195001011234', pattern: ID_NUMBER.source })
  @Matches(ID_NUMBER, { message: ID_NUMBER_MESSAGE })
  idNumber!: string;

  @ApiProperty({ example: '张三', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  name!: string;
}

export class ElderlyChildLookupResultDto {
  @ApiProperty({ type: HealthStatusDto }) health!: HealthStatusDto;
}
