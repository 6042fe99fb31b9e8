import { Body, Controller, Delete, HttpCode, Put } from '@nestjs/common';
import { ApiNoContentResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { SetFaultsDto } from './faults.dto';
import { FaultsService } from './faults.service';

@ApiTags('admin')
@ApiSecurity('api-key')
@Controller('v1/admin/faults')
export class FaultsController {
  constructor(private readonly faults: FaultsService) {}

  @Put()
  @HttpCode(204)
  @ApiNoContentResponse({
    description: 'Every consent read now waits delayMs, then answers 503 if unavailable',
  })
  set(@Body() dto: SetFaultsDto): void {
    this.faults.set({ delayMs: dto.delayMs, unavailable: dto.unavailable });
  }

  @Delete()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Faults cleared' })
  reset(): void {
    this.faults.reset();
  }
}
