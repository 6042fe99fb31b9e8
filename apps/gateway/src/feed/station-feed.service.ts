import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { JSONCodec, type NatsConnection } from 'nats';
import {
  Subject,
  filter,
  finalize,
  interval,
  map,
  merge,
  takeUntil,
  timer,
  type Observable,
} from 'rxjs';
import { EVENTS, type GateReply, type TapRequest } from '@app/protocol';
import { AppError } from '../common/errors';
import type { Logger } from '../common/logger';
import { CONFIG, LOGGER, NATS } from '../common/tokens';
import type { GatewayConfig } from '../config';
import { readWireEvent, toFeedEvent, type FeedEvent } from './feed-wire';

export type { FeedEvent } from './feed-wire';

/** Every instance publishes its staff-relevant replies here; every instance relays them all. */
export const STATION_FEED_SUBJECT = EVENTS.stationFeed;

export type FeedMessage = { type: 'tap'; data: FeedEvent } | { type: 'ping'; data: '' };

const json = JSONCodec<unknown>();

/**
 * The live feed of see-staff and deny replies per station. Local taps go straight to the
 * in-process subject; other instances' taps arrive over NATS (own messages are skipped there).
 */
@Injectable()
export class StationFeed implements BeforeApplicationShutdown {
  private readonly events = new Subject<FeedEvent>();
  private readonly closing = new Subject<void>();
  private readonly origin = randomUUID();
  /** Relayed events that were not ones a gateway publishes: counted, never shown. */
  ignored = 0;
  /** Open console streams per station on this instance. */
  private readonly streams = new Map<string, number>();

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** Another instance's event, heard on `gateway.events.station-feed.<stationId>`. */
  relay(subject: string, body: unknown): void {
    if (this.events.closed) return;
    const e = this.fromWire(subject, body);
    if (e) this.events.next(e);
  }

  /** Ends every open stream, so HTTP shutdown is not held up by consoles left open. */
  beforeApplicationShutdown(): void {
    this.closing.next();
    this.closing.complete();
    this.events.complete();
  }

  /** Called by the gate service after each tap reply; opens are not staff business. */
  tapAnswered(req: TapRequest, r: GateReply): void {
    if (r.outcome === 'open' || this.events.closed) return;
    const e: FeedEvent = {
      stationId: req.stationId,
      gateId: req.gateId,
      tapId: req.tapId,
      mode: req.mode,
      credentialKind: req.credential.kind,
      outcome: r.outcome,
      reasons: r.reasons,
      display: r.display,
      decidedAt: r.decidedAt,
    };
    this.events.next(e);
    const { display: _display, ...wire } = e;
    try {
      this.nc.publish(
        `${STATION_FEED_SUBJECT}.${req.stationId}`,
        json.encode({ ...wire, origin: this.origin }),
      );
    } catch (err) {
      // The feed is a convenience: a closed connection must never fail a tap.
      this.log.warn({ err: (err as Error).message }, 'station feed publish failed');
    }
  }

  /**
   * A console's stream of the station, counted against FEED_STREAMS_PER_STATION, that ends
   * when the token that opened it expires (`endsAt`, ms since epoch): a console keeps
   * following only while its staff member is still who the token said.
   */
  open(stationId: string, endsAt: number, keepaliveMs: number): Observable<FeedMessage> {
    const left = endsAt - Date.now();
    if (left <= 0) throw new AppError('UNAUTHENTICATED', 'token expired');
    const open = this.streams.get(stationId) ?? 0;
    if (open >= this.config.feedStreamsPerStation)
      throw new AppError(
        'FEED_STREAMS_FULL',
        `${open} consoles already follow station ${stationId} here; close one or retry later`,
      );
    this.streams.set(stationId, open + 1);
    return this.forStation(stationId, keepaliveMs).pipe(
      takeUntil(timer(left)),
      finalize(() => {
        const n = (this.streams.get(stationId) ?? 1) - 1;
        if (n > 0) this.streams.set(stationId, n);
        else this.streams.delete(stationId);
      }),
    );
  }

  /** Event `tap` per reply at the station, and `ping` now and then to keep the line open. */
  private forStation(stationId: string, keepaliveMs: number): Observable<FeedMessage> {
    return merge(
      this.events.pipe(
        filter((e) => e.stationId === stationId),
        map((data): FeedMessage => ({ type: 'tap', data })),
      ),
      interval(keepaliveMs).pipe(
        map((): FeedMessage => ({ type: 'ping', data: '' })),
        takeUntil(this.closing),
      ),
    );
  }

  /** Another instance's event, if it is one a gateway could have published; else nothing. */
  private fromWire(subject: string, body: unknown): FeedEvent | null {
    const station = subject.slice(STATION_FEED_SUBJECT.length + 1);
    const w = readWireEvent(station, body);
    if (w === null) {
      this.ignored++;
      return null;
    }
    return w.origin === this.origin ? null : toFeedEvent(w);
  }
}
