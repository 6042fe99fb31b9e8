import { Body, Controller, Get, Header, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@app/access-token';
import { CurrentPrincipal, Roles } from '../auth/auth';
import { StaffAuditService } from './audit.service';
import { DeskService } from './desk.service';
import { GateCommandService } from './gate-command.service';
import { IdLookupService } from './id-lookup.service';
import {
  AuditQueryDto,
  AuditRowDto,
  ElderlyChildLookupDto,
  IdLookupDto,
  IdLookupResultDto,
  IssuePassDto,
  PassDto,
  RegisteredDto,
  RegistrationDto,
  RemoteOpenDto,
  RemoteOpenResultDto,
  TemperatureDto,
  TestReportDto,
  VerificationDto,
  VerifyOfflineCodeDto,
  VerifyRelativeCodeDto,
} from './staff.dto';
import { VerifyService } from './verify.service';

/**
 * The station staff desk. Every route names its station in the path, so the auth guard
 * refuses staff of another station (403); every act is audited.
 */
@ApiTags('staff desk')
@ApiBearerAuth()
@Roles('staff')
@Controller('stations/:stationId')
export class StaffDeskController {
  constructor(
    private readonly verify: VerifyService,
    private readonly desk: DeskService,
    private readonly gates: GateCommandService,
    private readonly ids: IdLookupService,
    private readonly audit: StaffAuditService,
  ) {}

  @Post('desk/verify/offline-code')
  @HttpCode(200)
  @ApiOkResponse({ type: VerificationDto })
  offlineCode(
    @CurrentPrincipal() p: Principal,
    @Param('stationId') stationId: string,
    @Body() dto: VerifyOfflineCodeDto,
  ): Promise<VerificationDto> {
    return this.verify.offlineCode(p, stationId, dto.code, dto.idNumber);
  }

  @Post('desk/verify/relative-code')
  @HttpCode(200)
  @ApiOkResponse({ type: VerificationDto })
  relativeCode(
    @CurrentPrincipal() p: Principal,
    @Param('stationId') stationId: string,
    @Body() dto: VerifyRelativeCodeDto,
  ): Promise<VerificationDto> {
    return this.verify.relativeCode(p, stationId, dto.code);
  }

  @Post('desk/verify/elderly-child')
  @HttpCode(200)
  @ApiOkResponse({ type: VerificationDto, description: '422 NOT_ELIGIBLE, 404 NOT_FOUND' })
  elderlyChild(
    @CurrentPrincipal() p: Principal,
    @Param('stationId') stationId: string,
    @Body() dto: ElderlyChildLookupDto,
  ): Promise<VerificationDto> {
    return this.verify.elderlyChild(p, stationId, dto.idNumber, dto.name);
  }

  @Post('desk/verify/test-report')
  @HttpCode(200)
  @ApiOkResponse({ type: VerificationDto })
  testReport(
    @CurrentPrincipal() p: Principal,
    @Param('stationId') stationId: string,
    @Body() dto: TestReportDto,
  ): Promise<VerificationDto> {
    return this.verify.testReport(p, stationId, dto.sampledAt);
  }

  @Post('desk/verify/temperature')
  @HttpCode(200)
  @ApiOkResponse({ type: VerificationDto })
  temperature(
    @CurrentPrincipal() p: Principal,
    @Param('stationId') stationId: string,
    @Body() dto: TemperatureDto,
  ): Promise<VerificationDto> {
    return this.verify.temperature(p, stationId, dto.temperatureC);
  }

  @Post('desk/registrations')
  @ApiCreatedResponse({
    type: RegisteredDto,
    description: 'The venue check-in, as a gate tap writes it',
  })
  register(
    @CurrentPrincipal() p: Principal,
    @Param('stationId') stationId: string,
    @Body() dto: RegistrationDto,
  ): Promise<RegisteredDto> {
    return this.desk.register(p, stationId, dto);
  }

  @Post('desk/passes')
  @ApiCreatedResponse({
    type: PassDto,
    description: 'Opens one card or ticket tap before it expires',
  })
  issuePass(
    @CurrentPrincipal() p: Principal,
    @Param('stationId') stationId: string,
    @Body() dto: IssuePassDto,
  ): Promise<PassDto> {
    return this.desk.issuePass(p, stationId, dto);
  }

  @Post('desk/id-lookups')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ type: IdLookupResultDto, description: 'Shown until displayUntil; never stored' })
  idLookup(
    @CurrentPrincipal() p: Principal,
    @Param('stationId') stationId: string,
    @Body() dto: IdLookupDto,
  ): Promise<IdLookupResultDto> {
    return this.ids.lookup(p, stationId, dto.idNumber);
  }

  @Get('desk/audit')
  @ApiOkResponse({ type: [AuditRowDto] })
  auditTrail(
    @Param('stationId') stationId: string,
    @Query() q: AuditQueryDto,
  ): Promise<AuditRowDto[]> {
    return this.audit.recent(stationId, q.limit ?? 50);
  }

  @Post('gates/:gateId/open')
  @HttpCode(200)
  @ApiOkResponse({
    type: RemoteOpenResultDto,
    description: 'Whether the gate acknowledged within 2 s',
  })
  remoteOpen(
    @CurrentPrincipal() p: Principal,
    @Param('stationId') stationId: string,
    @Param('gateId') gateId: string,
    @Body() dto: RemoteOpenDto,
  ): Promise<RemoteOpenResultDto> {
    return this.gates.openOnce(p, stationId, gateId, dto.reason);
  }
}
