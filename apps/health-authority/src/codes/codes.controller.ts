import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ErrorDto } from '../common/dto';
import { IdNumberPipe } from '../common/id-number.pipe';
import {
  AddRelativeDto,
  HealthCodeIssuedDto,
  HealthCodeVerificationDto,
  NucleicAcidCodeIssuedDto,
  NucleicAcidCodeVerificationDto,
  OfflineCodeIssuedDto,
  OfflineCodeVerificationDto,
  RelativeCodeIssuedDto,
  RelativeCodeVerificationDto,
  VerifyCodeDto,
  VerifyOfflineCodeDto,
} from './codes.dto';
import { CodesService } from './codes.service';

const FAULT = { type: ErrorDto, description: 'UNAVAILABLE (injected fault)' };

@ApiTags('offline codes (离线随申码)')
@ApiSecurity('api-key')
@Controller('v1')
export class OfflineCodesController {
  constructor(private readonly codes: CodesService) {}

  @Post('persons/:idNumber/offline-codes')
  @ApiCreatedResponse({ type: OfflineCodeIssuedDto, description: 'Supersedes the previous one' })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'PERSON_NOT_FOUND' })
  @ApiUnprocessableEntityResponse({ type: ErrorDto, description: 'NOT_ELIGIBLE' })
  issue(@Param('idNumber', IdNumberPipe) idNumber: string): OfflineCodeIssuedDto {
    return this.codes.issueOffline(idNumber);
  }

  @Post('persons/:idNumber/offline-codes/report-lost')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The current code, if any, is superseded' })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'PERSON_NOT_FOUND' })
  reportLost(@Param('idNumber', IdNumberPipe) idNumber: string): void {
    this.codes.reportOfflineLost(idNumber);
  }

  @Post('offline-codes/verify')
  @HttpCode(200)
  @ApiOkResponse({ type: OfflineCodeVerificationDto })
  @ApiServiceUnavailableResponse(FAULT)
  verify(@Body() dto: VerifyOfflineCodeDto): Promise<OfflineCodeVerificationDto> {
    return this.codes.verifyOffline(dto);
  }
}

@ApiTags("relatives' codes (亲属随申码)")
@ApiSecurity('api-key')
@Controller('v1')
export class RelativeCodesController {
  constructor(private readonly codes: CodesService) {}

  @Post('persons/:guardianIdNumber/relatives')
  @ApiCreatedResponse({
    type: RelativeCodeIssuedDto,
    description: 'The same code when asked again',
  })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'PERSON_NOT_FOUND (guardian or dependant)' })
  @ApiUnprocessableEntityResponse({ type: ErrorDto, description: 'NOT_ELIGIBLE' })
  issue(
    @Param('guardianIdNumber', IdNumberPipe) guardianIdNumber: string,
    @Body() dto: AddRelativeDto,
  ): RelativeCodeIssuedDto {
    return this.codes.issueRelative(guardianIdNumber, dto.dependantIdNumber);
  }

  @Post('relative-codes/verify')
  @HttpCode(200)
  @ApiOkResponse({ type: RelativeCodeVerificationDto })
  @ApiServiceUnavailableResponse(FAULT)
  verify(@Body() dto: VerifyCodeDto): Promise<RelativeCodeVerificationDto> {
    return this.codes.verifyRelative(dto.code);
  }
}

@ApiTags('nucleic-acid codes (核酸码)')
@ApiSecurity('api-key')
@Controller('v1')
export class NucleicAcidCodesController {
  constructor(private readonly codes: CodesService) {}

  @Post('persons/:idNumber/nucleic-acid-codes')
  @ApiCreatedResponse({
    type: NucleicAcidCodeIssuedDto,
    description: 'Supersedes the previous one',
  })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'PERSON_NOT_FOUND' })
  issue(@Param('idNumber', IdNumberPipe) idNumber: string): NucleicAcidCodeIssuedDto {
    return this.codes.issueNucleicAcid(idNumber);
  }

  @Post('nucleic-acid-codes/verify')
  @HttpCode(200)
  @ApiOkResponse({ type: NucleicAcidCodeVerificationDto })
  @ApiServiceUnavailableResponse(FAULT)
  verify(@Body() dto: VerifyCodeDto): Promise<NucleicAcidCodeVerificationDto> {
    return this.codes.verifyNucleicAcid(dto.code);
  }
}

@ApiTags('health codes (随申码)')
@ApiSecurity('api-key')
@Controller('v1')
export class HealthCodesController {
  constructor(private readonly codes: CodesService) {}

  @Post('persons/:idNumber/health-codes')
  @ApiCreatedResponse({
    type: HealthCodeIssuedDto,
    description: "The person's app refreshing their dynamic code: valid 60 s, supersedes the last",
  })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'PERSON_NOT_FOUND' })
  issue(@Param('idNumber', IdNumberPipe) idNumber: string): HealthCodeIssuedDto {
    return this.codes.issueHealth(idNumber);
  }

  @Post('health-codes/verify')
  @HttpCode(200)
  @ApiOkResponse({ type: HealthCodeVerificationDto })
  @ApiServiceUnavailableResponse(FAULT)
  verify(@Body() dto: VerifyCodeDto): Promise<HealthCodeVerificationDto> {
    return this.codes.verifyHealth(dto.code);
  }
}
