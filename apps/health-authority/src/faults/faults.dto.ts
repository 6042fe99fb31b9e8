import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsNumber, Max, Min } from 'class-validator';

export class SetFaultsDto {
  /** setTimeout's own ceiling; a longer delay would fire at once. */
  @ApiProperty({ minimum: 0, maximum: 2_147_483_647, example: 1500 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2_147_483_647)
  delayMs!: number;

  @ApiProperty()
  @IsBoolean()
  unavailable!: boolean;
}
