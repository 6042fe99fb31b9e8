import { ApiProperty } from '@nestjs/swagger';
import { REASONS, type Display, type Reason } from '@app/protocol';
import { DisplayDto } from '../common/display.dto';

/** One `data:` line of the station feed (event type `tap`). No health values. */
export class FeedEventDto {
  @ApiProperty() stationId!: string;
  @ApiProperty() gateId!: string;
  @ApiProperty() tapId!: string;
  @ApiProperty({ enum: ['entry', 'exit'] }) mode!: 'entry' | 'exit';
  @ApiProperty({ example: 'day-ticket' }) credentialKind!: string;
  @ApiProperty({ enum: ['see-staff', 'deny'] }) outcome!: 'see-staff' | 'deny';
  @ApiProperty({ enum: REASONS, isArray: true }) reasons!: Reason[];
  @ApiProperty({
    type: DisplayDto,
    example: { zh: '请扫场所码并接受查验', en: 'Scan the venue code and see staff' },
  })
  display!: Display;
  @ApiProperty({ example: '2022-06-01T08:00:00.012+08:00' }) decidedAt!: string;
}
