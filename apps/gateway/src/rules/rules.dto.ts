import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { COLOURS, type Colour } from '@app/decision';
import { DisplayDto } from '../common/display.dto';
import {
  ID_PATTERN,
  LONG_ID_PATTERN,
  REASONS,
  mustMatch,
  type Outcome,
  type Reason,
} from '@app/protocol';

const INSTANT_EXAMPLE = '2022-06-01T00:00:00+08:00';

export class ScopeDto {
  @ApiProperty({ enum: ['network', 'lines', 'stations'] })
  @IsIn(['network', 'lines', 'stations'])
  kind!: 'network' | 'lines' | 'stations';

  @ApiPropertyOptional({ type: [String], example: ['3', '6', '10', '16'] })
  @ValidateIf((o: ScopeDto) => o.kind === 'lines')
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(ID_PATTERN, { each: true, message: mustMatch('each line', ID_PATTERN) })
  lines?: string[];

  @ApiPropertyOptional({ type: [String], example: ['S0312'] })
  @ValidateIf((o: ScopeDto) => o.kind === 'stations')
  @IsArray()
  @ArrayMaxSize(1000)
  @Matches(ID_PATTERN, { each: true, message: mustMatch('each station', ID_PATTERN) })
  stations?: string[];
}

export class FallbackDto {
  @ApiProperty({
    enum: ['staff', 'cached'],
    description: 'staff: send riders to staff; cached: accept a status fetched within N minutes',
  })
  @IsIn(['staff', 'cached'])
  mode!: 'staff' | 'cached';

  @ApiProperty({ example: 250, description: 'How long a tap may wait for the health service' })
  @IsNumber()
  timeoutMs!: number;

  @ApiPropertyOptional({ example: 30, description: 'Required for the cached fallback' })
  @IsOptional()
  @IsNumber()
  maxAgeMinutes?: number;
}

export class ScheduleVersionDto {
  @ApiProperty({
    example: INSTANT_EXAMPLE,
    description: 'ISO-8601 instant with an offset (enter Asia/Shanghai time as +08:00); future',
  })
  @IsString()
  effectiveFrom!: string;

  @ApiProperty({ type: ScopeDto })
  @ValidateNested()
  @Type(() => ScopeDto)
  scope!: ScopeDto;

  @ApiProperty({ example: 72, description: 'Negative test sampled within this many hours' })
  @IsNumber()
  testWindowHours!: number;

  @ApiPropertyOptional({ enum: COLOURS, isArray: true, default: ['green'] })
  @IsOptional()
  @IsArray()
  @IsIn(COLOURS, { each: true })
  allowedColours?: Colour[];

  @ApiPropertyOptional({ example: 37.3, default: 37.3, description: 'Fever at >= this, 35–42' })
  @IsOptional()
  @IsNumber()
  temperatureThresholdC?: number;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  temperatureRequired?: boolean;

  @ApiProperty({ description: 'Whether one-code riding is enabled at the scope' })
  @IsBoolean()
  oneCodeEnabled!: boolean;

  @ApiPropertyOptional({ default: 15 })
  @IsOptional()
  @IsNumber()
  dayTicketClearanceMinutes?: number;

  @ApiPropertyOptional({ type: FallbackDto, default: { mode: 'staff', timeoutMs: 250 } })
  @IsOptional()
  @ValidateNested()
  @Type(() => FallbackDto)
  healthServiceFallback?: FallbackDto;

  @ApiProperty({ example: '72 h test window from 2022-06-01' })
  @IsString()
  @MaxLength(500)
  reason!: string;
}

export class RuleVersionDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: '2022-06-01T00:00:00.000+08:00' }) effectiveFrom!: string;
  @ApiProperty({ type: ScopeDto }) scope!: ScopeDto;
  @ApiProperty() testWindowHours!: number;
  @ApiProperty({ enum: COLOURS, isArray: true }) allowedColours!: Colour[];
  @ApiProperty() temperatureThresholdC!: number;
  @ApiProperty() temperatureRequired!: boolean;
  @ApiProperty() oneCodeEnabled!: boolean;
  @ApiProperty() dayTicketClearanceMinutes!: number;
  @ApiProperty({ type: FallbackDto }) healthServiceFallback!: FallbackDto;
  @ApiProperty() reason!: string;
  @ApiProperty({ description: 'sha256 of the canonical JSON; recorded with each check-in' })
  hash!: string;
  @ApiPropertyOptional() createdBy?: string;
  @ApiPropertyOptional() createdAt?: string;
  @ApiPropertyOptional({ nullable: true, type: String }) cancelledAt?: string | null;
}

export class TimelineEntryDto {
  @ApiProperty({ type: RuleVersionDto }) version!: RuleVersionDto;
  @ApiProperty({ description: 'In force from this instant, inclusive' }) from!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Until this instant, exclusive; null while no later version covers the station',
  })
  until!: string | null;
  @ApiProperty({ enum: ['past', 'in-force', 'scheduled'], description: 'At the gateway clock' })
  state!: 'past' | 'in-force' | 'scheduled';
}

export class StationTimelineDto {
  @ApiProperty() stationId!: string;
  @ApiProperty({ description: 'False: unrecorded station, governed by network-wide versions' })
  recorded!: boolean;
  @ApiProperty({ type: [String] }) lines!: string[];
  @ApiProperty({ description: 'Gateway clock' }) now!: string;
  @ApiProperty({ type: [TimelineEntryDto] }) entries!: TimelineEntryDto[];
}

const CREDENTIAL_KINDS = [
  'ride-code',
  'linked-card',
  'guarantee-pass',
  'card',
  'day-ticket',
  'companion-ticket',
  'single-journey',
  'offline-code',
] as const;
export type PreviewCredentialKind = (typeof CREDENTIAL_KINDS)[number];

export class PreviewDto {
  @ApiProperty({ example: 'S0312' })
  @Matches(ID_PATTERN, { message: mustMatch('stationId', ID_PATTERN) })
  stationId!: string;

  @ApiProperty({ example: INSTANT_EXAMPLE, description: 'The instant of the tap, with offset' })
  @IsString()
  at!: string;

  @ApiPropertyOptional({ enum: ['entry', 'exit'], default: 'entry' })
  @IsOptional()
  @IsIn(['entry', 'exit'])
  mode?: 'entry' | 'exit';

  @ApiProperty({ enum: CREDENTIAL_KINDS })
  @IsIn(CREDENTIAL_KINDS)
  credentialKind!: PreviewCredentialKind;

  @ApiPropertyOptional({ enum: COLOURS, description: 'Needed for ride-code and linked-card' })
  @IsOptional()
  @IsIn(COLOURS)
  colour?: Colour;

  @ApiPropertyOptional({
    nullable: true,
    type: String,
    example: '2022-05-29T01:00:00+08:00',
    description: 'Sampling time of the latest negative test, or null for none',
  })
  @IsOptional()
  @IsString()
  latestNegativeSampledAt?: string | null;

  @ApiPropertyOptional({ nullable: true, type: Number, example: 36.5 })
  @IsOptional()
  @IsNumber()
  @Min(20)
  @Max(50)
  temperatureC?: number | null;

  @ApiPropertyOptional({ default: true, description: 'Health linkage authorized' })
  @IsOptional()
  @IsBoolean()
  authorized?: boolean;

  @ApiPropertyOptional({ default: true, description: 'Whether the health service answers' })
  @IsOptional()
  @IsBoolean()
  healthServiceAvailable?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Day ticket with a checkpoint clearance' })
  @IsOptional()
  @IsBoolean()
  cleared?: boolean;

  @ApiPropertyOptional({
    type: ScheduleVersionDto,
    description:
      'An unsaved version: decide as if it had been scheduled too. Checked as a schedule is, except that its instant may be past; nothing is stored.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => ScheduleVersionDto)
  draft?: ScheduleVersionDto;
}

export class PreviewResultDto {
  @ApiProperty({ enum: ['open', 'see-staff', 'deny'] }) outcome!: Outcome;
  @ApiProperty({ enum: REASONS, isArray: true }) reasons!: Reason[];
  @ApiProperty({ type: DisplayDto }) display!: DisplayDto;
  @ApiProperty() at!: string;
  @ApiProperty({ type: RuleVersionDto, description: "The draft (id 'draft') when it governs" })
  version!: RuleVersionDto;
  @ApiProperty() hash!: string;
  @ApiPropertyOptional({ description: 'With a draft: whether the draft decided' })
  governedByDraft?: boolean;
  @ApiPropertyOptional({
    enum: ['not-yet-valid', 'valid', 'expired'],
    description: 'Where `at` stands in the test window (sampledAt <= at < sampledAt + window)',
  })
  testStanding?: 'not-yet-valid' | 'valid' | 'expired';
}

export class AuditQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(LONG_ID_PATTERN, { message: mustMatch('versionId', LONG_ID_PATTERN) })
  versionId?: string;

  @ApiPropertyOptional({ default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class AuditEntryDto {
  @ApiProperty() id!: number;
  @ApiProperty({ description: 'Gateway clock at the change' }) at!: string;
  @ApiProperty({ description: 'Token subject of the operator' }) actor!: string;
  @ApiProperty() actorRole!: string;
  @ApiProperty({ enum: ['schedule', 'cancel'] }) action!: 'schedule' | 'cancel';
  @ApiProperty() versionId!: string;
  @ApiProperty({ nullable: true, type: RuleVersionDto }) before!: RuleVersionDto | null;
  @ApiProperty({ nullable: true, type: RuleVersionDto }) after!: RuleVersionDto | null;
}

export class ShadowDecisionDto {
  @ApiProperty({ enum: ['open', 'see-staff', 'deny'] }) outcome!: string;
  @ApiProperty({ enum: REASONS, isArray: true }) reasons!: string[];
}

export class ShadowTransitionDto {
  @ApiProperty({ type: ShadowDecisionDto }) from!: ShadowDecisionDto;
  @ApiProperty({ type: ShadowDecisionDto }) to!: ShadowDecisionDto;
  @ApiProperty() taps!: number;
}

export class StationShadowDto {
  @ApiProperty() stationId!: string;
  @ApiProperty() evaluated!: number;
  @ApiProperty() unchanged!: number;
  @ApiProperty({ description: 'Different outcome or different reasons' }) changed!: number;
  @ApiProperty() outcomeChanged!: number;
  @ApiProperty({
    description: 'Live rules needed no health lookup but the pending version would',
  })
  notEvaluable!: number;
  @ApiProperty({ type: [ShadowTransitionDto] }) transitions!: ShadowTransitionDto[];
}

export class ShadowReportDto {
  @ApiProperty({ type: RuleVersionDto }) version!: RuleVersionDto;
  @ApiProperty({ description: 'False once the version is in force: counts stop growing' })
  pending!: boolean;
  @ApiProperty({ type: [StationShadowDto] }) stations!: StationShadowDto[];
}
