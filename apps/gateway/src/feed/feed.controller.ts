import { Controller, Param, Sse, type MessageEvent } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Observable } from 'rxjs';
import { Roles } from '../auth/auth';
import { FeedEventDto } from './feed.dto';
import { StationFeed } from './station-feed.service';

/** Keeps idle connections (and proxies in between) from timing out. */
const KEEPALIVE_MS = 15_000;

/**
 * The staff desk's live feed, pushed as server-sent events. Read it with fetch and the
 * Authorization header; the guard refuses staff of another station (403).
 */
@ApiTags('staff desk')
@ApiBearerAuth()
@Roles('staff')
@Controller('stations/:stationId')
export class StationFeedController {
  constructor(private readonly feed: StationFeed) {}

  @Sse('feed')
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    type: FeedEventDto,
    description: 'Event `tap` per see-staff or deny reply at the station; `ping` every 15 s',
  })
  stream(@Param('stationId') stationId: string): Observable<MessageEvent> {
    return this.feed.forStation(stationId, KEEPALIVE_MS);
  }
}
