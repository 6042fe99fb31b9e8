import { Body, Controller, Delete, Get, HttpCode, Put } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { formatShanghai } from '../common/time';
import { AuthorityClock } from '../common/clock';
import { ClockDto, SetClockDto } from './clock.dto';

/** Shifts the time the authority judges ages and code validity by (e2e runs and demos). */
@ApiTags('admin')
@ApiSecurity('api-key')
@Controller('v1/admin/clock')
export class ClockController {
  constructor(private readonly clock: AuthorityClock) {}

  @Get()
  @ApiOkResponse({ type: ClockDto })
  read(): ClockDto {
    return { now: formatShanghai(this.clock.now()), offsetMs: this.clock.offsetMs };
  }

  @Put()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The clock now runs offsetMs from its base' })
  set(@Body() dto: SetClockDto): void {
    this.clock.shift(dto.offsetMs);
  }

  @Delete()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Back to the base clock' })
  reset(): void {
    this.clock.reset();
  }
}
