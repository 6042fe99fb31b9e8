import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { ID_PATTERN, mustMatch } from '@app/protocol';

export class LineDto {
  @ApiProperty({ example: '3' }) id!: string;
  @ApiProperty({ example: '3号线' }) nameZh!: string;
  @ApiProperty({ example: 'Line 3' }) nameEn!: string;
}

export class CreateLineDto {
  @ApiProperty({ example: '18' })
  @Matches(ID_PATTERN, { message: mustMatch('id', ID_PATTERN) })
  id!: string;

  @ApiProperty({ example: '18号线' })
  @IsString()
  @Length(1, 100)
  nameZh!: string;

  @ApiProperty({ example: 'Line 18' })
  @IsString()
  @Length(1, 100)
  nameEn!: string;
}

export class RenameLineDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 100)
  nameZh?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 100)
  nameEn?: string;
}

export class StationDto {
  @ApiProperty({ example: 'S0312' }) id!: string;
  @ApiProperty({ example: '中山公园' }) nameZh!: string;
  @ApiProperty({ example: 'Zhongshan Park' }) nameEn!: string;
  @ApiProperty({ type: [String], example: ['2', '3', '4'] }) lines!: string[];
}

export class CreateStationDto {
  @ApiProperty({ example: 'S1801' })
  @Matches(ID_PATTERN, { message: mustMatch('id', ID_PATTERN) })
  id!: string;

  @ApiProperty({ example: '御桥' })
  @IsString()
  @Length(1, 100)
  nameZh!: string;

  @ApiProperty({ example: 'Yuqiao' })
  @IsString()
  @Length(1, 100)
  nameEn!: string;

  @ApiProperty({ type: [String], example: ['11', '18'], description: 'Lines that exist' })
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(ID_PATTERN, { each: true, message: mustMatch('each line', ID_PATTERN) })
  lines!: string[];
}

export class UpdateStationDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 100)
  nameZh?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 100)
  nameEn?: string;

  @ApiPropertyOptional({ type: [String], description: 'The full new list of lines' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(ID_PATTERN, { each: true, message: mustMatch('each line', ID_PATTERN) })
  lines?: string[];
}

export class UnrecordedStationDto {
  @ApiProperty() stationId!: string;
  @ApiProperty() firstSeen!: string;
  @ApiProperty() lastSeen!: string;
  @ApiProperty({ description: 'Taps and scans from it, all instances, governed by network rules' })
  taps!: number;
}

export class SetDeviceDto {
  @ApiProperty({ description: 'A digital sentinel (数字哨兵) reads ID cards and health codes' })
  @IsBoolean()
  sentinel!: boolean;
}

export class DeviceDto {
  @ApiProperty() stationId!: string;
  @ApiProperty() deviceId!: string;
  @ApiProperty() sentinel!: boolean;
  @ApiProperty() updatedBy!: string;
  @ApiProperty() updatedAt!: string;
}

export class DevicesQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(ID_PATTERN, { message: mustMatch('stationId', ID_PATTERN) })
  stationId?: string;
}

export class NetworkAuditQueryDto {
  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class NetworkAuditDto {
  @ApiProperty() id!: number;
  @ApiProperty() at!: string;
  @ApiProperty() actor!: string;
  @ApiProperty() actorRole!: string;
  @ApiProperty({
    enum: ['line-create', 'line-rename', 'station-create', 'station-update', 'device-set'],
  })
  action!: string;
  @ApiProperty({ description: 'Line id, station id, or station/device' }) subject!: string;
  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description: 'The line, station or device as it was before; null when it was created',
  })
  before!: unknown;
  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description: 'The line, station or device as it is after; null when it was removed',
  })
  after!: unknown;
}
