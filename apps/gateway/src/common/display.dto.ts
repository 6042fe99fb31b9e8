import { ApiProperty } from '@nestjs/swagger';

/** A gate screen's message, in both languages. */
export class DisplayDto {
  @ApiProperty({ example: '请通行' }) zh!: string;
  @ApiProperty({ example: 'Please pass' }) en!: string;
}
