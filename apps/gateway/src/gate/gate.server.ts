import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { JSONCodec, type Msg, type NatsConnection, type Subscription } from 'nats';
import {
  EVENTS,
  QUEUE_GROUP,
  SCAN_SUBJECTS,
  TAP_SUBJECTS,
  parseScanRequest,
  parseSubject,
  parseTapRequest,
  type GateReply,
  type ScanRequest,
  type TapRequest,
} from '@app/protocol';
import { CheckpointService } from '../checkpoint/checkpoint.service';
import type { Clock } from '../common/clock';
import type { Logger } from '../common/logger';
import { CLOCK, LOGGER, NATS } from '../common/tokens';
import { HealthStatusService } from '../health-link/health-status.service';
import { RiderFactsService } from '../cards/rider-facts.service';
import { Metrics } from '../ops/metrics';
import { RulesService } from '../rules/rules.service';
import { malformedReply, reply } from './replies';
import { TapService } from './tap.service';
import { StationFeed } from '../feed/station-feed.service';

const json = JSONCodec<unknown>();

/** The gate protocol on NATS: parse -> one service call -> reply. */
@Injectable()
export class GateServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private gateSubs: Subscription[] = [];
  private inFlight = 0;
  private drained: (() => void) | null = null;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    private readonly taps: TapService,
    private readonly scans: CheckpointService,
    private readonly health: HealthStatusService,
    private readonly riderFacts: RiderFactsService,
    private readonly rules: RulesService,
    private readonly metrics: Metrics,
    private readonly feed: StationFeed,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.gateSubs = [
      // A tap's deadline counts from here: stamped before anything else is done with it.
      this.nc.subscribe(TAP_SUBJECTS, {
        queue: QUEUE_GROUP,
        callback: (_e, m) => this.onTap(m, performance.now()),
      }),
      this.nc.subscribe(SCAN_SUBJECTS, {
        queue: QUEUE_GROUP,
        callback: (_e, m) => this.onScan(m, performance.now()),
      }),
    ];
    // Broadcasts: every instance hears these (no queue group).
    this.nc.subscribe(EVENTS.authorityStatusChanged, {
      callback: (_e, m) => this.onConsentEvent(m, (id) => this.health.evict(id)),
    });
    this.nc.subscribe(EVENTS.riderRevoked, {
      callback: (_e, m) => this.onConsentEvent(m, (id) => this.riderFacts.forget(id)),
    });
    this.nc.subscribe(EVENTS.rulesChanged, {
      callback: () => void this.reloadRules('rules changed'),
    });
    void this.watchConnection();
  }

  get pendingTaps(): number {
    return this.inFlight;
  }

  /** Stop taking taps (the queue group hands new ones to other instances), then finish ours. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.gateSubs.map((s) => s.drain().catch(() => undefined)));
    if (this.inFlight > 0) {
      this.log.info({ inFlight: this.inFlight }, 'draining in-flight taps');
      await new Promise<void>((resolve) => (this.drained = resolve));
    }
  }

  private onTap(msg: Msg, arrivedAtMs: number): void {
    const addr = parseSubject(msg.subject);
    const parsed = addr?.kind === 'tap' ? parseTapRequest(addr, msg.data) : null;
    if (!parsed || !parsed.ok) {
      this.metrics.malformed.inc();
      this.log.warn(
        { subject: msg.subject, tapId: parsed?.tapId, error: parsed?.error ?? 'not a tap subject' },
        'malformed tap',
      );
      this.respond(msg, malformedReply(parsed?.tapId, this.clock.now()));
      return;
    }
    void this.answer(msg, parsed.value, arrivedAtMs);
  }

  private onScan(msg: Msg, arrivedAtMs: number): void {
    const addr = parseSubject(msg.subject);
    const parsed = addr?.kind === 'scan' ? parseScanRequest(addr, msg.data) : null;
    if (!parsed || !parsed.ok) {
      this.metrics.malformed.inc();
      this.log.warn(
        {
          subject: msg.subject,
          tapId: parsed?.tapId,
          error: parsed?.error ?? 'not a scan subject',
        },
        'malformed scan',
      );
      this.respond(msg, malformedReply(parsed?.tapId, this.clock.now()));
      return;
    }
    void this.answer(msg, parsed.value, arrivedAtMs);
  }

  private async answer(
    msg: Msg,
    req: TapRequest | ScanRequest,
    arrivedAtMs: number,
  ): Promise<void> {
    this.inFlight++;
    try {
      const r = await ('gateId' in req
        ? this.taps.handle(req, arrivedAtMs)
        : this.scans.handle(req, arrivedAtMs));
      this.respond(msg, r);
      if ('gateId' in req) this.feed.tapAnswered(req, r);
    } catch (e) {
      this.log.error({ tapId: req.tapId, err: (e as Error).message }, 'tap failed');
      const ctx = { tapId: req.tapId, decidedAt: this.clock.now(), policyVersion: null };
      const failed = reply(ctx, 'see-staff', ['RECORD_UNAVAILABLE']);
      this.respond(msg, failed);
      if ('gateId' in req) this.feed.tapAnswered(req, failed);
    } finally {
      if (--this.inFlight === 0 && this.drained) this.drained();
    }
  }

  private respond(msg: Msg, r: GateReply): void {
    if (msg.reply) msg.respond(json.encode(r));
  }

  private onConsentEvent(msg: Msg, evict: (consentId: string) => void): void {
    try {
      const body = json.decode(msg.data) as { consentId?: unknown };
      if (typeof body.consentId === 'string') evict(body.consentId);
    } catch {
      this.log.warn({ subject: msg.subject }, 'ignored unreadable event');
    }
  }

  private async reloadRules(why: string): Promise<void> {
    try {
      await this.rules.reload();
    } catch (e) {
      this.log.error({ err: (e as Error).message, why }, 'rule reload failed');
    }
  }

  /** After a reconnect we may have missed broadcasts: reload what they would have told us. */
  private async watchConnection(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'reconnect') {
        this.log.info({ server: s.data }, 'nats reconnected');
        this.riderFacts.forgetAll();
        await this.reloadRules('nats reconnect');
      } else if (s.type === 'disconnect')
        this.log.warn({ server: s.data }, 'nats disconnected; reconnecting');
    }
  }
}
