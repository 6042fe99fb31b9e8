import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ErrorDto } from '../common/dto';
import {
  BatchStatusDto,
  BatchStatusResultDto,
  ConsentGrantedDto,
  GrantConsentDto,
  HealthStatusDto,
} from './consents.dto';
import { ConsentsService } from './consents.service';

/** The literal colon is escaped so Express (path-to-regexp 8) does not read ":batch" as a parameter. */
export const BATCH_ROUTE = 'status\\:batch';

@ApiTags('consents')
@ApiSecurity('api-key')
@Controller('v1/consents')
export class ConsentsController {
  constructor(private readonly consents: ConsentsService) {}

  @Post()
  @ApiCreatedResponse({ type: ConsentGrantedDto })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'PERSON_NOT_FOUND' })
  grant(@Body() dto: GrantConsentDto): ConsentGrantedDto {
    return this.consents.grant(dto);
  }

  @Post(BATCH_ROUTE)
  @HttpCode(200)
  @ApiOkResponse({ type: BatchStatusResultDto })
  @ApiServiceUnavailableResponse({ type: ErrorDto, description: 'UNAVAILABLE (injected fault)' })
  async batch(@Body() dto: BatchStatusDto): Promise<BatchStatusResultDto> {
    return { statuses: await this.consents.statuses(dto.consentIds) };
  }

  @Delete(':consentId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked, or was not active' })
  revoke(@Param('consentId') consentId: string): void {
    this.consents.revoke(consentId);
  }

  @Get(':consentId/status')
  @ApiOkResponse({ type: HealthStatusDto })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'CONSENT_NOT_FOUND' })
  @ApiServiceUnavailableResponse({ type: ErrorDto, description: 'UNAVAILABLE (injected fault)' })
  status(@Param('consentId') consentId: string): Promise<HealthStatusDto> {
    return this.consents.status(consentId);
  }
}
