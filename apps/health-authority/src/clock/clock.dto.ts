import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';

/** About a century either way: enough for any demo, far from Date's limits. */
export const MAX_CLOCK_OFFSET_MS = 100 * 366 * 86_400_000;

export class SetClockDto {
  @ApiProperty({
    example: 15_552_000_000,
    minimum: -MAX_CLOCK_OFFSET_MS,
    maximum: MAX_CLOCK_OFFSET_MS,
    description: 'Milliseconds added to the real clock',
  })
  @IsInt()
  @Min(-MAX_CLOCK_OFFSET_MS)
  @Max(MAX_CLOCK_OFFSET_MS)
  offsetMs!: number;
}

export class ClockDto {
  @ApiProperty({ example: '2022-06-01T08:00:00.000+08:00' }) now!: string;
  @ApiProperty({ example: 0 }) offsetMs!: number;
}
