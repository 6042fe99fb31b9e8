import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { JSONCodec, type NatsConnection, type Subscription } from 'nats';
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
import {
  EVENTS,
  ID_PATTERN,
  REASONS,
  displayFor,
  type Display,
  type GateReply,
  type Reason,
  type TapRequest,
} from '@app/protocol';
import { AppError } from '../common/errors';
import type { Logger } from '../common/logger';
import { CONFIG, LOGGER, NATS } from '../common/tokens';
import type { GatewayConfig } from '../config';

/** Every instance publishes its staff-relevant replies here; every instance relays them all. */
export const STATION_FEED_SUBJECT = EVENTS.stationFeed;

/** What a staff console sees of one tap: never a health value, only reasons, gate and time. */
export interface FeedEvent {
  stationId: string;
  gateId: string;
  tapId: string;
  mode: 'entry' | 'exit';
  credentialKind: string;
  outcome: 'see-staff' | 'deny';
  reasons: Reason[];
  display: Display;
  decidedAt: string;
}

export type FeedMessage = { type: 'tap'; data: FeedEvent } | { type: 'ping'; data: '' };

/** The NATS form: display is derived from the reasons on arrival, so it is not sent. */
interface WireEvent extends Omit<FeedEvent, 'display'> {
  origin: string;
}

const json = JSONCodec<WireEvent>();
const KNOWN = new Set<string>(REASONS);

/**
 * The live feed of see-staff and deny replies per station. Local taps go straight to the
 * in-process subject; other instances' taps arrive over NATS (own messages are skipped there).
 */
@Injectable()
export class StationFeed implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly events = new Subject<FeedEvent>();
  private readonly closing = new Subject<void>();
  private readonly origin = randomUUID();
  private sub: Subscription | null = null;
  /** Open console streams per station on this instance. */
  private readonly streams = new Map<string, number>();

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.nc.subscribe(`${STATION_FEED_SUBJECT}.*`, {
      callback: (err, msg) => {
        if (err) return;
        const e = this.fromWire(msg.data);
        if (e) this.events.next(e);
      },
    });
  }

  /** Ends every open stream, so HTTP shutdown is not held up by consoles left open. */
  beforeApplicationShutdown(): void {
    this.sub?.unsubscribe();
    this.closing.next();
    this.closing.complete();
    this.events.complete();
  }

  /** Called by the gate server after each tap reply; opens are not staff business. */
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

  private fromWire(data: Uint8Array): FeedEvent | null {
    try {
      const w = json.decode(data);
      if (w.origin === this.origin) return null;
      if (!ID_PATTERN.test(w.stationId) || !ID_PATTERN.test(w.gateId)) return null;
      if (w.outcome !== 'see-staff' && w.outcome !== 'deny') return null;
      if (!Array.isArray(w.reasons) || !w.reasons.every((r) => KNOWN.has(r))) return null;
      return {
        stationId: w.stationId,
        gateId: w.gateId,
        tapId: String(w.tapId),
        mode: w.mode === 'exit' ? 'exit' : 'entry',
        credentialKind: String(w.credentialKind),
        outcome: w.outcome,
        reasons: w.reasons,
        display: displayFor(w.reasons),
        decidedAt: String(w.decidedAt),
      };
    } catch {
      this.log.warn('ignored unreadable station feed event');
      return null;
    }
  }
}
