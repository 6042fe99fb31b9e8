import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import {
  parseProbeSubject,
  parseScanRequest,
  parseSubject,
  parseTapRequest,
  type GateReply,
  type ScanRequest,
  type TapRequest,
  type WireBody,
} from '@app/protocol';
import { CheckpointService } from './checkpoint.service';
import type { Clock } from '../common/clock';
import type { Logger } from '../common/logger';
import { CLOCK, LOGGER, NATS } from '../common/tokens';
import { HealthStatusService } from '../health-link/health-status.service';
import { RiderFactsService } from '../riders/rider-facts.service';
import { Metrics } from '../ops/metrics';
import { RulesService } from '../rules/rules.service';
import { malformedReply, noPolicy, unavailableReply } from './replies';
import { TapService } from './tap.service';
import { StationFeed } from '../feed/station-feed.service';

/** The gate protocol behind the transport: parse -> one pipeline call -> the reply; broadcasts. */
@Injectable()
export class GateService implements OnApplicationBootstrap {
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
    void this.watchConnection();
  }

  tap(subject: string, body: WireBody, arrivedAtMs: number): Promise<GateReply> {
    const addr = parseSubject(subject);
    const parsed = addr?.kind === 'tap' ? parseTapRequest(addr, body) : null;
    if (!parsed || !parsed.ok) return Promise.resolve(this.malformed(subject, parsed, 'tap'));
    return this.answer(parsed.value, arrivedAtMs);
  }

  scan(subject: string, body: WireBody, arrivedAtMs: number): Promise<GateReply> {
    const addr = parseSubject(subject);
    const parsed = addr?.kind === 'scan' ? parseScanRequest(addr, body) : null;
    if (!parsed || !parsed.ok) return Promise.resolve(this.malformed(subject, parsed, 'scan'));
    return this.answer(parsed.value, arrivedAtMs);
  }

  /** A tap sent to `metro.probe.<station>.<gate>.tap`: answered, recorded nowhere, fed to no console. */
  probe(subject: string, body: WireBody, arrivedAtMs: number): Promise<GateReply> {
    const addr = parseProbeSubject(subject);
    const parsed = addr ? parseTapRequest(addr, body) : null;
    if (!parsed || !parsed.ok) return Promise.resolve(this.malformed(subject, parsed, 'probe'));
    return this.taps.probe(parsed.value, arrivedAtMs).catch((e: unknown) => {
      this.log.error({ tapId: parsed.value.tapId, err: (e as Error).message }, 'probe failed');
      return unavailableReply(noPolicy(parsed.value.tapId, this.clock.now()));
    });
  }

  /** A broadcast is a hint to drop what we hold for this consent, never an instruction. */
  statusChanged(body: WireBody): void {
    const consentId = this.consentId(body);
    if (consentId !== null) this.health.evict(consentId);
  }

  riderRevoked(body: WireBody): void {
    const consentId = this.consentId(body);
    if (consentId !== null) this.riderFacts.forget(consentId);
  }

  rulesChanged(): Promise<void> {
    return this.reloadRules('rules changed');
  }

  feedRelayed(subject: string, body: WireBody): void {
    this.feed.relay(subject, 'json' in body ? body.json : null);
  }

  private malformed(
    subject: string,
    parsed: { tapId?: string; error: string } | null,
    what: 'tap' | 'scan' | 'probe',
  ): GateReply {
    this.metrics.malformed.inc();
    this.log.warn(
      { subject, tapId: parsed?.tapId, error: parsed?.error ?? `not a ${what} subject` },
      `malformed ${what}`,
    );
    return malformedReply(parsed?.tapId, this.clock.now());
  }

  private async answer(req: TapRequest | ScanRequest, arrivedAtMs: number): Promise<GateReply> {
    let r: GateReply;
    try {
      r = await ('gateId' in req
        ? this.taps.handle(req, arrivedAtMs)
        : this.scans.handle(req, arrivedAtMs));
    } catch (e) {
      this.log.error({ tapId: req.tapId, err: (e as Error).message }, 'tap failed');
      r = unavailableReply(noPolicy(req.tapId, this.clock.now()));
    }
    if ('gateId' in req) this.feed.tapAnswered(req, r);
    return r;
  }

  private consentId(body: WireBody): string | null {
    if ('unreadable' in body) {
      this.log.warn('ignored unreadable event');
      return null;
    }
    const o = body.json as { consentId?: unknown } | null;
    return typeof o?.consentId === 'string' ? o.consentId : null;
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
