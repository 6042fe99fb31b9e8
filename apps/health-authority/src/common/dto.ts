import { ApiProperty } from '@nestjs/swagger';
import type { ErrorCode } from './errors';

export class ErrorDto {
  @ApiProperty({ example: 'MALFORMED_REQUEST' }) code!: ErrorCode;
  @ApiProperty({ example: 'idNumber must be 18 characters: 17 digits, then a digit or X' })
  message!: string;
}
