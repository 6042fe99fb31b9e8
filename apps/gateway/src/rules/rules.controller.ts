import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Principal } from '@app/access-token';
import { CurrentPrincipal, Roles } from '../auth/auth';
import { RulePreviewService } from './rule-preview.service';
import { RuleQueryService } from './rule-query.service';
import { RuleScheduleService } from './rule-schedule.service';
import { RuleShadowService } from './rule-shadow.service';
import {
  AuditEntryDto,
  AuditQueryDto,
  PreviewDto,
  PreviewResultDto,
  RuleVersionDto,
  ScheduleVersionDto,
  ShadowReportDto,
  StationTimelineDto,
} from './rules.dto';

/** The metro operator's rules: schedule, cancel, inspect, preview, shadow counts, audit. */
@ApiTags('rules (operator)')
@ApiBearerAuth()
@Roles('operator')
@Controller('rules')
export class RulesController {
  constructor(
    private readonly schedules: RuleScheduleService,
    private readonly queries: RuleQueryService,
    private readonly previews: RulePreviewService,
    private readonly shadows: RuleShadowService,
  ) {}

  @Post('versions')
  @ApiCreatedResponse({ type: RuleVersionDto, description: 'Scheduled, audited, announced' })
  @ApiBadRequestResponse({
    description:
      'RULE_REFUSED with every reason: past effectiveFrom, missing offset, bad window or threshold, unknown station or line, overlap with an identical version',
  })
  schedule(
    @CurrentPrincipal() p: Principal,
    @Body() dto: ScheduleVersionDto,
  ): Promise<RuleVersionDto> {
    return this.schedules.schedule(dto, p);
  }

  @Delete('versions/:id')
  @ApiOkResponse({ type: RuleVersionDto, description: 'Cancelled before taking effect' })
  @ApiConflictResponse({ description: 'RULE_ALREADY_EFFECTIVE or RULE_ALREADY_CANCELLED' })
  cancel(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<RuleVersionDto> {
    return this.schedules.cancel(id, p);
  }

  @Get('versions/:id')
  @ApiOkResponse({ type: RuleVersionDto, description: 'Any version, cancelled ones included' })
  version(@Param('id') id: string): Promise<RuleVersionDto> {
    return this.queries.version(id);
  }

  @Get('versions/:id/shadow')
  @ApiOkResponse({ type: ShadowReportDto, description: 'Aggregate shadow counts per station' })
  shadow(@Param('id') id: string): Promise<ShadowReportDto> {
    return this.shadows.report(id);
  }

  @Get('stations/:stationId/timeline')
  @ApiOkResponse({ type: StationTimelineDto, description: "This instance's in-memory timeline" })
  timeline(@Param('stationId') stationId: string): StationTimelineDto {
    return this.queries.timeline(stationId);
  }

  @Post('preview')
  @HttpCode(200)
  @ApiOkResponse({ type: PreviewResultDto, description: 'Stores nothing' })
  preview(@Body() dto: PreviewDto): PreviewResultDto {
    return this.previews.preview(dto);
  }

  @Get('audit')
  @ApiOkResponse({ type: [AuditEntryDto], description: 'Newest first' })
  audit(@Query() q: AuditQueryDto): Promise<AuditEntryDto[]> {
    return this.queries.audit(q.versionId, q.limit);
  }
}
