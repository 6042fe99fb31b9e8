import { pipeline } from 'node:stream';
import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiOkResponse,
  ApiProduces,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { Principal } from '@app/access-token';
import { CurrentPrincipal, Roles } from '../auth/auth';
import { ExportQueryDto, ExportedCheckInDto, TraceQueryDto, TraceResultDto } from './checkins.dto';
import { ExportService } from './export.service';
import { TraceService } from './trace.service';

/** Contact tracing: the health authority reads who checked in where and when. */
@ApiTags('checkins')
@ApiBearerAuth()
@ApiExtraModels(ExportedCheckInDto)
@Roles('authority')
@Controller('checkins')
export class CheckinsController {
  constructor(
    private readonly exports: ExportService,
    private readonly traces: TraceService,
  ) {}

  /** POST, so the ID number travels in the body and never in a URL or an access log. */
  @Post('trace')
  @HttpCode(200)
  @ApiOkResponse({
    type: TraceResultDto,
    description:
      "One person's check-ins in the window on every path (ride code, card, ticket, sentinel, " +
      'desk), oldest first. The ID number is hashed with the ID hash key and never stored; ' +
      'every call is audited.',
  })
  trace(@CurrentPrincipal() who: Principal, @Body() q: TraceQueryDto): Promise<TraceResultDto> {
    return this.traces.trace(who, q);
  }

  @Get('export')
  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiOkResponse({
    description:
      'One page of check-ins, oldest first: NDJSON lines or CSV rows with a header line. ' +
      'X-Row-Count is the number of rows in this page; X-Next-Cursor, present when more ' +
      'follow, is the cursor for the next page. Every call is audited.',
    headers: {
      'X-Row-Count': { description: 'Rows in this page', schema: { type: 'integer' } },
      'X-Next-Cursor': {
        description: 'Cursor of the next page, if any',
        schema: { type: 'string' },
      },
    },
    schema: { $ref: getSchemaPath(ExportedCheckInDto) },
  })
  async export(
    @CurrentPrincipal() who: Principal,
    @Query() q: ExportQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    const out = await this.exports.export(who, q);
    res.status(200).set({
      'content-type': out.contentType,
      'cache-control': 'no-store',
      'x-row-count': String(out.rowCount),
      ...(out.nextCursor ? { 'x-next-cursor': out.nextCursor } : {}),
    });
    // A reader gone early (or the deadline) frees the export's connection at once.
    res.once('close', () => out.abort());
    pipeline(out.body, res, () => undefined);
  }
}
