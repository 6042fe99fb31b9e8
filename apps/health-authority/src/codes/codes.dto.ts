import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import { HealthSummaryDto } from '../common/health-summary.dto';
import { ID_NUMBER, ID_NUMBER_MESSAGE } from '../common/validation';
import type { CodeStatus } from './code-store';

const CODE_STATUSES: readonly CodeStatus[] = ['valid', 'superseded', 'expired', 'unknown'];

/** Whatever a scanner read: any string up to 128 characters; one never issued is "unknown". */
export class VerifyCodeDto {
  @ApiProperty({ example: 'OFF-3q2b7yQm0mD0bXo1q8kZ', minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  code!: string;
}

export class VerifyOfflineCodeDto extends VerifyCodeDto {
  @ApiPropertyOptional({
    example: '310101195001011234',
    pattern: ID_NUMBER.source,
    description: 'The ID card shown with the paper code; health is revealed only if it matches',
  })
  @IsOptional()
  @Matches(ID_NUMBER, { message: ID_NUMBER_MESSAGE })
  idNumber?: string;
}

export class OfflineCodeIssuedDto {
  @ApiProperty({ example: 'OFF-3q2b7yQm0mD0bXo1q8kZ', description: 'What the paper QR encodes' })
  code!: string;
  @ApiProperty({ example: '2022-06-01T08:00:00.000+08:00' }) issuedAt!: string;
  @ApiProperty({
    example: '2022-11-28T08:00:00.000+08:00',
    description: 'issuedAt + 180 days, exclusive',
  })
  validUntil!: string;
}

export class OfflineCodeVerificationDto {
  @ApiProperty({ enum: CODE_STATUSES }) status!: CodeStatus;
  @ApiProperty({
    type: Boolean,
    nullable: true,
    description: 'Whether the code was issued to idNumber; null when no idNumber was given',
  })
  belongsToIdNumber!: boolean | null;
  @ApiProperty({
    type: HealthSummaryDto,
    nullable: true,
    description: 'Only when valid and idNumber matches (or none was given)',
  })
  health!: HealthSummaryDto | null;
}

export class AddRelativeDto {
  @ApiProperty({ example: '310101201501011234', pattern: ID_NUMBER.source })
  @Matches(ID_NUMBER, { message: ID_NUMBER_MESSAGE.replace('idNumber', 'dependantIdNumber') })
  dependantIdNumber!: string;
}

export class RelativeCodeIssuedDto {
  @ApiProperty({ example: 'REL-3q2b7yQm0mD0bXo1q8kZ' }) relativeCode!: string;
}

const RELATIVE_STATUSES = ['valid', 'unknown'] as const;

export class RelativeCodeVerificationDto {
  @ApiProperty({ enum: RELATIVE_STATUSES }) status!: (typeof RELATIVE_STATUSES)[number];
  @ApiProperty({ type: String, nullable: true, example: '310101201501011234' })
  dependantIdNumber!: string | null;
  @ApiProperty({ type: HealthSummaryDto, nullable: true }) health!: HealthSummaryDto | null;
}

export class NucleicAcidCodeIssuedDto {
  @ApiProperty({ example: 'NAC-3q2b7yQm0mD0bXo1q8kZ' }) code!: string;
  @ApiProperty({
    example: '2022-07-01T08:00:00.000+08:00',
    description: 'Issue time + 30 days, exclusive',
  })
  validUntil!: string;
}

export class NucleicAcidCodeVerificationDto {
  @ApiProperty({ enum: CODE_STATUSES }) status!: CodeStatus;
}

export class HealthCodeIssuedDto {
  @ApiProperty({
    example: 'HC-3q2b7yQm0mD0bXo1q8kZ',
    description: 'What the app shows as a QR code: HC- and 20 base64url characters',
  })
  code!: string;
  @ApiProperty({ example: '2022-06-01T08:00:00.000+08:00' }) issuedAt!: string;
  @ApiProperty({
    example: '2022-06-01T08:01:00.000+08:00',
    description: 'issuedAt + 60 s, exclusive; a newer code supersedes it sooner',
  })
  validUntil!: string;
}

export const HEALTH_CODE_STATUSES = ['valid', 'expired', 'invalid'] as const;

export class HealthCodeVerificationDto {
  @ApiProperty({
    enum: HEALTH_CODE_STATUSES,
    description: 'invalid: never issued, or superseded by a newer code',
  })
  status!: (typeof HEALTH_CODE_STATUSES)[number];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Whose code it is; only when valid',
  })
  idNumber!: string | null;
  @ApiProperty({ type: HealthSummaryDto, nullable: true, description: 'Only when valid' })
  health!: HealthSummaryDto | null;
}
