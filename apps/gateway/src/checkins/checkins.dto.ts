import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { ID_PATTERN, mustMatch } from '@app/protocol';

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const MAX_PAGE = 10_000;

export class ExportQueryDto {
  @ApiProperty({
    type: [String],
    example: ['S0312'],
    description: 'Station id; repeat the parameter for several stations (up to 100)',
  })
  @Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? value : [value]))
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @Matches(ID_PATTERN, { each: true, message: mustMatch('each stationId', ID_PATTERN) })
  stationId!: string[];

  @ApiProperty({
    example: '2022-06-01T00:00:00+08:00',
    description: 'Window start, inclusive; ISO-8601 with an offset',
  })
  @Matches(INSTANT, { message: 'from must be an ISO-8601 instant with an offset' })
  from!: string;

  @ApiProperty({
    example: '2022-06-02T00:00:00+08:00',
    description: 'Window end, exclusive; ISO-8601 with an offset',
  })
  @Matches(INSTANT, { message: 'to must be an ISO-8601 instant with an offset' })
  to!: string;

  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'ndjson' })
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format?: ExportFormat;

  @ApiPropertyOptional({
    description: 'The X-Next-Cursor of the previous page; omit for the first page',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE, default: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  limit?: number;
}

/** One exported check-in (an NDJSON line; the same columns, in this order, in CSV). */
export class ExportedCheckInDto {
  @ApiProperty() checkInId!: string;
  @ApiProperty({ example: '2022-06-01T08:00:00.012+08:00' }) checkedInAt!: string;
  @ApiProperty() stationId!: string;
  @ApiProperty() gateId!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description:
      "The health authority's own consent id, for a rider whose account is linked to it now; " +
      'null otherwise (trace such a person by ID number with POST /checkins/trace)',
  })
  consentId!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Card or ticket, e.g. card:C123',
  })
  medium!: string | null;
  @ApiProperty() policyVersion!: string;
  @ApiProperty({ description: 'SHA-256 of the rule version in force' }) policyHash!: string;
}

const ID_NUMBER = /^[0-9]{17}[0-9Xx]$/;
export const TRACE_PATHS = ['ride-code', 'card', 'ticket', 'sentinel', 'desk'] as const;
export type TracePath = (typeof TRACE_PATHS)[number];
export const MAX_TRACE = 10_000;

/** In the body, never the URL: an ID number must not reach access logs. */
export class TraceQueryDto {
  @ApiProperty({ description: 'The person to trace; hashed with the ID hash key, never stored' })
  @IsString()
  @Matches(ID_NUMBER, { message: 'idNumber must be an 18-character ID number' })
  idNumber!: string;

  @ApiProperty({ example: '2022-06-01T00:00:00+08:00', description: 'Window start, inclusive' })
  @Matches(INSTANT, { message: 'from must be an ISO-8601 instant with an offset' })
  from!: string;

  @ApiProperty({ example: '2022-06-15T00:00:00+08:00', description: 'Window end, exclusive' })
  @Matches(INSTANT, { message: 'to must be an ISO-8601 instant with an offset' })
  to!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_TRACE, default: 1000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TRACE)
  limit?: number;
}

/** One check-in of the traced person. */
export class TracedCheckInDto {
  @ApiProperty() checkInId!: string;
  @ApiProperty({ example: '2022-06-01T08:00:00.012+08:00' }) checkedInAt!: string;
  @ApiProperty() stationId!: string;
  @ApiProperty({ description: 'Gate, checkpoint device, or `desk`' }) gateId!: string;
  @ApiProperty({ enum: TRACE_PATHS, description: 'How the person was checked in' })
  path!: TracePath;
  @ApiProperty({ nullable: true, type: String, description: 'Card or ticket, e.g. card:C123' })
  medium!: string | null;
  @ApiProperty() policyVersion!: string;
  @ApiProperty() policyHash!: string;
}

export class TraceResultDto {
  @ApiProperty({ type: [TracedCheckInDto], description: 'Oldest first' })
  checkIns!: TracedCheckInDto[];
  @ApiProperty({ description: 'More check-ins matched than `limit`; narrow the window' })
  truncated!: boolean;
}
