import { Controller, Param, Sse, type MessageEvent } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Observable } from 'rxjs';
import type { Principal } from '@app/access-token';
import { CurrentPrincipal, Roles } from '../auth/auth';
import { FeedEventDto } from './feed.dto';
import { StationFeed } from './station-feed.service';

/** Keeps idle connections (and proxies in between) from timing out. */
const KEEPALIVE_MS = 15_000;

/**
 * The staff desk's live feed, pushed as server-sent events. Read it with fetch and the
 * Authorization header; the guard refuses staff of another station (403). A stream ends when
 * its token expires (the console then needs a fresh one), and each instance serves at most
 * FEED_STREAMS_PER_STATION of them per station (429 beyond).
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
    description:
      'Event `tap` per see-staff or deny reply at the station; `ping` every 15 s. The stream ' +
      'ends when the bearer token expires; 429 FEED_STREAMS_FULL when the station has as many ' +
      'consoles as this instance serves.',
  })
  stream(
    @CurrentPrincipal() p: Principal,
    @Param('stationId') stationId: string,
  ): Observable<MessageEvent> {
    // Verified tokens always carry exp; a principal without one gets no stream.
    return this.feed.open(stationId, p.expiresAt ?? 0, KEEPALIVE_MS);
  }
}
