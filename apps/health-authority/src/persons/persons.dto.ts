import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { COLOURS, type Colour } from '../common/vocabulary';
import { IsBoolean, IsIn, IsISO8601, IsOptional, IsString, Length, Matches } from 'class-validator';
import { ID_NUMBER, ID_NUMBER_MESSAGE, IsInstant } from '../common/validation';
import type { TestOutcome } from './person-store';

export class CreatePersonDto {
  @ApiProperty({ example: '310101199001011234', pattern: ID_NUMBER.source })
  @Matches(ID_NUMBER, { message: ID_NUMBER_MESSAGE })
  idNumber!: string;

  @ApiProperty({ example: '张三', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({ example: '1990-01-01', description: 'YYYY-MM-DD' })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'birthDate must be YYYY-MM-DD' })
  @IsISO8601({ strict: true }, { message: 'birthDate must be a real calendar date' })
  birthDate!: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;

  @ApiPropertyOptional({
    default: false,
    description: "Cannot apply for a code alone; eligible for a relative's code",
  })
  @IsOptional()
  @IsBoolean()
  specialGroup?: boolean;

  @ApiPropertyOptional({
    minLength: 8,
    maxLength: 128,
    description:
      'What the person signs in with at the authority (随申办 login); generated when omitted',
  })
  @IsOptional()
  @IsString()
  @Length(8, 128)
  passcode?: string;
}

export class PersonCreatedDto {
  @ApiProperty({ example: 'p_3q2b7yQm0mD0bXo1q8kZ3w' }) personId!: string;
  @ApiProperty({ description: 'The sign-in passcode: as given, or the one generated' })
  passcode!: string;
}

export class SetColourDto {
  @ApiProperty({ enum: COLOURS })
  @IsIn(COLOURS)
  colour!: Colour;
}

const OUTCOMES: readonly TestOutcome[] = ['negative', 'positive'];

export class AddTestDto {
  @ApiProperty({
    example: '2022-06-01T08:00:00+08:00',
    description: 'ISO-8601 instant with an offset',
  })
  @IsInstant()
  sampledAt!: string;

  @ApiProperty({ enum: OUTCOMES })
  @IsIn(OUTCOMES)
  result!: TestOutcome;
}
