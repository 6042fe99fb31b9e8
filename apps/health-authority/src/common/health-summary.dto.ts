import { ApiProperty } from '@nestjs/swagger';
import { COLOURS, type Colour } from './vocabulary';

/** What a verification or lookup reveals: the colour and the latest negative sampling time. */
export class HealthSummaryDto {
  @ApiProperty({ enum: COLOURS }) colour!: Colour;
  @ApiProperty({ type: String, nullable: true, example: '2022-06-01T08:00:00.000+08:00' })
  latestNegativeSampledAt!: string | null;
}
