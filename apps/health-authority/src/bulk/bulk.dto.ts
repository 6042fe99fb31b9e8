import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { COLOURS, type Colour } from '../common/vocabulary';
import { ID_NUMBER, ID_NUMBER_MESSAGE, IsInstant } from '../common/validation';

export class BulkPersonDto {
  @ApiProperty() @Matches(ID_NUMBER, { message: ID_NUMBER_MESSAGE }) idNumber!: string;
  @ApiProperty() @IsString() @Length(1, 100) name!: string;
  @ApiProperty({ description: 'YYYY-MM-DD' }) @Matches(/^\d{4}-\d{2}-\d{2}$/) birthDate!: string;
  @ApiProperty({ enum: COLOURS }) @IsIn(COLOURS) colour!: Colour;
  @ApiProperty({
    nullable: true,
    required: false,
    description: 'sampling instant of a negative test',
  })
  @IsOptional()
  @IsInstant()
  negativeSampledAt?: string | null;
}

export class BulkSeedDto {
  @ApiProperty({ type: [BulkPersonDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  @ValidateNested({ each: true })
  @Type(() => BulkPersonDto)
  persons!: BulkPersonDto[];

  @ApiProperty() @IsString() @Length(1, 64) grantee!: string;
  @ApiProperty() @IsString() @Length(1, 64) purpose!: string;
}

export class BulkSeededDto {
  @ApiProperty({
    description: 'A consent id per person, in order; null when the ID number existed',
  })
  consentIds!: (string | null)[];
}
