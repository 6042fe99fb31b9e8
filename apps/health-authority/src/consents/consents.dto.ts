import { ApiProperty } from '@nestjs/swagger';
import { COLOURS, type Colour } from '../common/vocabulary';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Length, Matches } from 'class-validator';
import { ID_NUMBER, ID_NUMBER_MESSAGE } from '../common/validation';
import type { TestOutcome } from '../persons/person-store';

export const MAX_BATCH = 1000;

export class GrantConsentDto {
  @ApiProperty({ example: '310101199001011234', pattern: ID_NUMBER.source })
  @Matches(ID_NUMBER, { message: ID_NUMBER_MESSAGE })
  idNumber!: string;

  @ApiProperty({ example: 'shanghai-metro', minLength: 1, maxLength: 64 })
  @IsString()
  @Length(1, 64)
  grantee!: string;

  @ApiProperty({ example: 'one-code-ride', minLength: 1, maxLength: 64 })
  @IsString()
  @Length(1, 64)
  purpose!: string;
}

export class ConsentGrantedDto {
  @ApiProperty({ example: 'c_Qm9vZ2llV29vZ2llQm9vZ2ll' }) consentId!: string;
}

export class BatchStatusDto {
  @ApiProperty({ type: [String], minItems: 1, maxItems: MAX_BATCH })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH)
  @IsString({ each: true })
  @Length(1, 64, { each: true, message: 'each of consentIds must be 1 to 64 characters' })
  consentIds!: string[];
}

export class LatestTestDto {
  @ApiProperty({ example: '2022-06-01T08:00:00.000+08:00' }) sampledAt!: string;
  @ApiProperty({ enum: ['negative', 'positive'] }) result!: TestOutcome;
}

/** What a consent lets its grantee read, and nothing more. */
export class HealthStatusDto {
  @ApiProperty({ enum: COLOURS }) colour!: Colour;
  @ApiProperty({ type: String, nullable: true, example: '2022-06-01T08:00:00.000+08:00' })
  latestNegativeSampledAt!: string | null;
  @ApiProperty({ type: LatestTestDto, nullable: true }) latestTest!: LatestTestDto | null;
}

export class BatchStatusResultDto {
  @ApiProperty({
    description: 'One entry per requested consentId; null when unknown or revoked',
    type: 'object',
    additionalProperties: {
      oneOf: [{ $ref: '#/components/schemas/HealthStatusDto' }, { type: 'null' }],
    },
  })
  statuses!: Record<string, HealthStatusDto | null>;
}
