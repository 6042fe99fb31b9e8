import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  Equals,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { Type } from 'class-transformer';
import {
  ID_NUMBER_PATTERN,
  ID_PATTERN,
  MEDIUM_NO_PATTERN,
  OPEN_ONCE_REASONS,
  REASONS,
  mustMatch,
  notAnIdNumber,
  type Reason,
} from '@app/protocol';
import { ISO_INSTANT } from '../common/instants';

const ID_MSG = notAnIdNumber('idNumber');

export const EVIDENCE_KINDS = [
  'offline-code',
  'relative-code',
  'elderly-child',
  'test-report',
  'temperature',
] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export class VerifyOfflineCodeDto {
  @ApiProperty({ description: 'Text of the paper offline code (离线随申码)' })
  @IsString()
  @Length(1, 128)
  code!: string;

  @ApiProperty({ description: 'The ID card presented with it; never stored' })
  @IsString()
  @Matches(ID_NUMBER_PATTERN, { message: ID_MSG })
  idNumber!: string;
}

export class VerifyRelativeCodeDto {
  @ApiProperty({ description: "A relative's code (亲属随申码) shown on a family member's phone" })
  @IsString()
  @Length(1, 128)
  code!: string;
}

export class ElderlyChildLookupDto {
  @ApiProperty({ description: 'Never stored' })
  @IsString()
  @Matches(ID_NUMBER_PATTERN, { message: ID_MSG })
  idNumber!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 100)
  name!: string;
}

export class TestReportDto {
  @ApiProperty({ enum: ['paper', 'remote'] })
  @IsIn(['paper', 'remote'])
  source!: 'paper' | 'remote';

  @ApiProperty({
    example: '2022-06-01T08:00:00+08:00',
    description: 'Sampling time on the negative report, as staff read it',
  })
  @IsString()
  @Matches(ISO_INSTANT, { message: 'sampledAt must be an ISO-8601 instant with its offset' })
  sampledAt!: string;
}

export class TemperatureDto {
  @ApiProperty({ example: 36.6, minimum: 30, maximum: 45 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(30)
  @Max(45)
  temperatureC!: number;
}

export class VerificationDto {
  @ApiProperty({ description: 'Name it in a registration or a pass; recorded with the verdict' })
  verificationId!: string;
  @ApiProperty() pass!: boolean;
  @ApiProperty({ enum: REASONS, isArray: true, description: 'Empty when pass' })
  reasons!: Reason[];
  @ApiProperty({ enum: EVIDENCE_KINDS }) evidence!: EvidenceKind;
  @ApiPropertyOptional({
    enum: ['valid', 'superseded', 'expired', 'unknown', 'not-holder'],
    description: 'For codes: what the health-code service said of the code itself',
  })
  codeStatus?: string;
  @ApiPropertyOptional({
    enum: ['not-yet-valid', 'valid', 'expired'],
    description:
      'For a test report: where now stands in its window (sampledAt <= now < sampledAt + window)',
  })
  testStanding?: 'not-yet-valid' | 'valid' | 'expired';
  @ApiProperty() policyVersion!: string;
  @ApiPropertyOptional({
    description: 'When it passed: it may justify a registration or a pass until then',
  })
  usableUntil?: string;
}

export class RegistrationDto {
  @ApiProperty({
    format: 'uuid',
    description: 'A verification that passed at this station in the last 30 minutes',
  })
  @IsUUID('all', { message: 'verificationId must be the id a verification returned' })
  verificationId!: string;

  @ApiPropertyOptional({ description: 'ID number of the person; stored only as a keyed hash' })
  @IsOptional()
  @IsString()
  @Matches(ID_NUMBER_PATTERN, { message: ID_MSG })
  idNumber?: string;

  @ApiPropertyOptional({ description: 'Card or ticket number the person travels on' })
  @IsOptional()
  @IsString()
  @Matches(MEDIUM_NO_PATTERN, { message: mustMatch('mediumNo', MEDIUM_NO_PATTERN) })
  mediumNo?: string;
}

export class RegisteredDto {
  @ApiProperty() checkInId!: string;
  @ApiProperty() checkedInAt!: string;
  @ApiProperty() verificationId!: string;
}

export class IssuePassDto {
  @ApiPropertyOptional({ description: 'Bind to this card' })
  @IsOptional()
  @IsString()
  @Matches(MEDIUM_NO_PATTERN, { message: mustMatch('cardNo', MEDIUM_NO_PATTERN) })
  cardNo?: string;

  @ApiPropertyOptional({ description: 'Bind to this ticket (single-journey, companion or day)' })
  @IsOptional()
  @IsString()
  @Matches(MEDIUM_NO_PATTERN, { message: mustMatch('ticketNo', MEDIUM_NO_PATTERN) })
  ticketNo?: string;

  @ApiPropertyOptional({
    description: 'Bind to a gate of this station: its next card or ticket tap',
  })
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN, { message: mustMatch('gateId', ID_PATTERN) })
  gateId?: string;

  @ApiProperty({ minimum: 1, maximum: 60 })
  @IsInt()
  @Min(1)
  @Max(60)
  expiresInMinutes!: number;

  @ApiPropertyOptional({ format: 'uuid', description: "Bind to this rider's next entry" })
  @IsOptional()
  @IsUUID('all', { message: 'riderId must be a rider id' })
  riderId?: string;

  @ApiPropertyOptional({
    description:
      "A ride code scanned at the desk: binds to its rider's next entry (the code is not spent)",
  })
  @IsOptional()
  @IsString()
  @Length(1, 2048)
  rideCode?: string;

  @ApiProperty({
    format: 'uuid',
    description: 'A verification that passed at this station in the last 30 minutes',
  })
  @IsUUID('all', { message: 'verificationId must be the id a verification returned' })
  verificationId!: string;
}

export class PassDto {
  @ApiProperty() passId!: string;
  @ApiProperty({ example: 'card:3101000012345678' }) boundTo!: string;
  @ApiProperty() expiresAt!: string;
  @ApiProperty() verificationId!: string;
}

/** What a gate accepts in `open-once` (libs/protocol). */
export const OPEN_REASONS = OPEN_ONCE_REASONS;

export class RemoteOpenDto {
  @ApiProperty({ enum: OPEN_REASONS, description: 'Sent to the gate; never a health value' })
  @IsIn(OPEN_REASONS)
  reason!: (typeof OPEN_REASONS)[number];
}

export class RemoteOpenResultDto {
  @ApiProperty() acknowledged!: boolean;
  @ApiProperty() passId!: string;
  @ApiPropertyOptional({ enum: ['GATE_DID_NOT_ANSWER', 'GATE_REFUSED'] }) reason?: string;
}

export class IdLookupDto {
  @ApiProperty({ description: 'Read from the ID card with the rider present; never stored' })
  @IsString()
  @Matches(ID_NUMBER_PATTERN, { message: ID_MSG })
  idNumber!: string;

  @ApiProperty({ description: 'Staff confirm the rider is present and consents' })
  @IsBoolean()
  @Equals(true, { message: 'riderPresent must be true' })
  riderPresent!: boolean;
}

export class IdLookupResultDto {
  @ApiProperty({ description: 'The lookup, recorded as a verification (never what it showed)' })
  verificationId!: string;
  @ApiProperty({ description: 'No reason under the rules in force' }) pass!: boolean;
  @ApiProperty() found!: boolean;
  @ApiPropertyOptional({ enum: ['green', 'yellow', 'red'], nullable: true }) colour!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) latestNegativeSampledAt!: string | null;
  @ApiProperty({ enum: REASONS, isArray: true }) reasons!: Reason[];
  @ApiProperty({ description: 'Show no longer than this: now + 10 s' }) displayUntil!: string;
  @ApiPropertyOptional({
    description: 'When it passed: it may justify a registration or a pass until then',
  })
  usableUntil?: string;
}

export class AuditQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class AuditRowDto {
  @ApiProperty() id!: string;
  @ApiProperty() at!: string;
  @ApiProperty() staffId!: string;
  @ApiProperty() stationId!: string;
  @ApiProperty() act!: string;
  @ApiProperty({ nullable: true, type: String }) evidence!: string | null;
  @ApiProperty() outcome!: string;
  @ApiProperty({ nullable: true, type: String }) ref!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The verification recorded or relied on',
  })
  verificationId!: string | null;
}
