import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ErrorDto } from '../common/dto';
import {
  ElderlyChildLookupDto,
  ElderlyChildLookupResultDto,
  IdNumberLookupDto,
  IdNumberLookupResultDto,
} from './lookups.dto';
import { LookupsService } from './lookups.service';

@ApiTags('lookups')
@ApiSecurity('api-key')
@Controller('v1/lookups')
export class LookupsController {
  constructor(private readonly lookups: LookupsService) {}

  @Post('id-number')
  @HttpCode(200)
  @ApiOkResponse({ type: IdNumberLookupResultDto })
  @ApiServiceUnavailableResponse({ type: ErrorDto, description: 'UNAVAILABLE (injected fault)' })
  byIdNumber(@Body() dto: IdNumberLookupDto): Promise<IdNumberLookupResultDto> {
    return this.lookups.byIdNumber(dto);
  }

  @Post('elderly-child')
  @HttpCode(200)
  @ApiOkResponse({ type: ElderlyChildLookupResultDto })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'PERSON_NOT_FOUND (or the name differs)' })
  @ApiUnprocessableEntityResponse({ type: ErrorDto, description: 'NOT_ELIGIBLE: 18 to 59' })
  @ApiServiceUnavailableResponse({ type: ErrorDto, description: 'UNAVAILABLE (injected fault)' })
  elderlyChild(@Body() dto: ElderlyChildLookupDto): Promise<ElderlyChildLookupResultDto> {
    return this.lookups.elderlyChild(dto);
  }
}
