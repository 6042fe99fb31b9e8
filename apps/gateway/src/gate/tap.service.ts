import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  decide,
  isUnavailable,
  type CredentialFacts,
  type RuleVersion,
  type Unavailable,
} from '@app/decision';
import type { GateCredential, GateReply, TapRequest } from '@app/protocol';
import { AdmissionBatcher } from '../admissions/admission.batcher';
import { CardLookupService, type TapPlace } from '../cards/card-lookup.service';
import { RiderFactsService } from '../riders/rider-facts.service';
import type { Clock } from '../common/clock';
import type { Logger } from '../common/logger';
import { beforeDeadline, systemTimer, type Timer } from '../common/timer';
import { CLOCK, CONFIG, LOGGER, TIMER } from '../common/tokens';
import type { GatewayConfig } from '../config';
import { Metrics } from '../ops/metrics';
import { RideCodeService } from '../ride-code/ride-code.service';
import { RulesService } from '../rules/rules.service';
import { RuleShadowService } from '../rules/rule-shadow.service';
import { IdempotencyCache, requestFingerprint } from './idempotency.cache';
import {
  admissionReply,
  decisionReply,
  malformedReply,
  noPolicy,
  reply,
  type ReplyContext,
} from './replies';

/** What the credential established, beyond the engine's facts: who, for passback and check-in. */
interface Established {
  facts: CredentialFacts;
  traveller: string | null;
  riderId: string | null;
  medium: string | null;
  jti: { id: string; expiresAt: number } | null;
  /** A staff one-time pass this tap claimed; it stays used only if the tap opens. */
  passId?: string;
}

const UNKNOWN_PERSON = { traveller: null, riderId: null, medium: null, jti: null };

const round2 = (x: number) => Math.round(x * 100) / 100;

const decisionInput = (req: TapRequest, rules: RuleVersion, now: number) => ({
  mode: req.mode,
  temperatureC: req.temperatureC,
  rules,
  now,
});

/** One gate tap: credential -> facts -> pure decision -> durable admission -> reply. */
@Injectable()
export class TapService {
  constructor(
    private readonly rules: RulesService,
    private readonly shadow: RuleShadowService,
    private readonly rideCodes: RideCodeService,
    private readonly admissions: AdmissionBatcher,
    private readonly idempotency: IdempotencyCache,
    private readonly metrics: Metrics,
    private readonly cardLookup: CardLookupService,
    private readonly riders: RiderFactsService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Pick<GatewayConfig, 'tapDeadlineMs'>,
    @Inject(LOGGER) private readonly log: Logger,
    @Optional() @Inject(TIMER) private readonly timer: Timer = systemTimer,
  ) {}

  /**
   * Same (station, gate, tapId) within the window: the same reply, and no second check-in.
   * `arrivedAtMs` (performance.now() when the message arrived) starts the tap's deadline: past
   * TAP_DEADLINE_MS the tap is answered RECORD_UNAVAILABLE, whatever it still waits for.
   */
  handle(req: TapRequest, arrivedAtMs: number): Promise<GateReply> {
    const deadlineMs = arrivedAtMs + this.config.tapDeadlineMs;
    const fingerprint = requestFingerprint(req);
    return this.idempotency.run(
      { kind: 'gate', stationId: req.stationId, id: req.gateId },
      req.tapId,
      fingerprint,
      () =>
        beforeDeadline(
          this.decideTap(req, deadlineMs, fingerprint),
          deadlineMs,
          () => this.late(req, arrivedAtMs),
          this.timer,
        ),
      () => malformedReply(req.tapId, this.clock.now()),
    );
  }

  /**
   * A probe: the reply this tap would get from the same rules, credential and health checks,
   * with nothing recorded, claimed or opened (no receipt, no check-in, no staff pass, no
   * ride-code use). What only the commit decides (a replayed code, passback) is not checked.
   */
  probe(req: TapRequest, arrivedAtMs: number): Promise<GateReply> {
    const deadlineMs = arrivedAtMs + this.config.tapDeadlineMs;
    return beforeDeadline(
      this.decideTap(req, deadlineMs, requestFingerprint(req), true),
      deadlineMs,
      () => this.late(req, arrivedAtMs),
      this.timer,
    );
  }

  /** The deadline passed first; what was still running can no longer open the gate. */
  private late(req: TapRequest, arrivedAtMs: number): GateReply {
    const ctx = noPolicy(req.tapId, this.clock.now());
    const out = reply(ctx, 'see-staff', ['RECORD_UNAVAILABLE']);
    this.metrics.observeDecision(out.outcome, out.reasons, this.timer.now() - arrivedAtMs);
    this.log.warn(
      { tapId: req.tapId, stationId: req.stationId, gateId: req.gateId },
      'tap answered at its deadline',
    );
    return out;
  }

  private async decideTap(
    req: TapRequest,
    deadlineMs: number,
    fingerprint: string,
    probe = false,
  ): Promise<GateReply> {
    const started = performance.now();
    const now = this.clock.now();
    const { rules, hash } = this.rules.forTap(req.stationId, now);
    const ctx: ReplyContext = {
      tapId: req.tapId,
      decidedAt: now,
      policyVersion: rules.id,
      policyHash: hash,
    };
    const at = {
      stationId: req.stationId,
      gateId: req.gateId,
      tapId: req.tapId,
      deadlineMs,
      probe,
    };
    let est = await this.establish(req.credential, req.mode, rules, now, at);
    if (isUnavailable(est))
      return this.done(req, reply(ctx, 'see-staff', ['RECORD_UNAVAILABLE']), started);
    let decision = decide({
      mode: req.mode,
      temperatureC: req.temperatureC,
      credential: est.facts,
      rules,
      now,
    });
    if (probe) return this.done(req, decisionReply(ctx, decision), started, undefined, 'probe');
    // Sent to staff, who may already have cleared this rider at this station: their pass.
    if (
      decision.outcome === 'see-staff' &&
      req.mode === 'entry' &&
      req.credential.kind === 'ride-code' &&
      est.riderId !== null
    ) {
      const claimed = await this.cardLookup.riderPass(est.riderId, at, now);
      if (isUnavailable(claimed))
        return this.done(req, reply(ctx, 'see-staff', ['RECORD_UNAVAILABLE']), started);
      if (claimed.passId !== null) {
        est = { ...est, facts: { kind: 'cleared' }, passId: claimed.passId };
        decision = decide({ ...decisionInput(req, rules, now), credential: est.facts });
      }
    }
    const established = performance.now();
    // Shadow rollout: the same facts under scheduled versions, counted in memory only.
    this.shadow.observe(
      req.stationId,
      { mode: req.mode, temperatureC: req.temperatureC, credential: est.facts, rules, now },
      decision,
    );

    let out: GateReply;
    let opened = false;
    let commitMs: number | undefined;
    if (decision.outcome !== 'open' || est.traveller === null) {
      out = decisionReply(ctx, decision);
    } else {
      // A staff pass opened it: the check-in names the person its verification was about.
      const personKey =
        est.passId !== undefined ? await this.cardLookup.passPerson(est.passId) : null;
      const admission = {
        stationId: req.stationId,
        gateId: req.gateId,
        tapId: req.tapId,
        mode: req.mode,
        traveller: est.traveller,
        riderId: est.riderId,
        medium: est.medium,
        jti: est.jti?.id ?? null,
        jtiExpiresAt: est.jti?.expiresAt ?? null,
        checkInId: randomUUID(),
        decidedAt: now,
        policyVersion: rules.id,
        policyHash: hash,
        personKey,
        fingerprint,
      };
      const result = await this.admissions.submit(admission, deadlineMs);
      commitMs = performance.now() - established;
      opened = result.kind === 'admitted';
      out =
        result.kind === 'unavailable'
          ? reply(ctx, 'see-staff', ['RECORD_UNAVAILABLE'])
          : admissionReply(admission, result, (id) => this.rules.hashOf(id));
    }
    if (est.passId !== undefined) await this.cardLookup.settle(est.passId, opened);
    return this.done(req, out, started, { establishMs: established - started, commitMs });
  }

  /** Logs the tap with where its time went: establishing the facts, and the durable commit. */
  private done(
    req: TapRequest,
    out: GateReply,
    started: number,
    phases?: { establishMs: number; commitMs?: number },
    what: 'tap' | 'probe' = 'tap',
  ): GateReply {
    const ms = performance.now() - started;
    // A probe is no rider's decision: it stays out of the decision metrics.
    if (what === 'tap') this.metrics.observeDecision(out.outcome, out.reasons, ms);
    this.log.info(
      {
        tapId: req.tapId,
        stationId: req.stationId,
        gateId: req.gateId,
        mode: req.mode,
        credential: req.credential.kind,
        outcome: out.outcome,
        reasons: out.reasons,
        ms: round2(ms),
        establishMs: phases && round2(phases.establishMs),
        commitMs: phases?.commitMs !== undefined ? round2(phases.commitMs) : undefined,
      },
      `${what} decided`,
    );
    return out;
  }

  private async establish(
    c: GateCredential,
    mode: 'entry' | 'exit',
    rules: RuleVersion,
    now: number,
    at: TapPlace,
  ): Promise<Established | Unavailable> {
    switch (c.kind) {
      case 'ride-code':
        return this.establishRideCode(c.code, mode, rules, now, at.deadlineMs);
      case 'card':
        return this.cardLookup.card(c.cardNo, mode, rules, now, at);
      case 'day-ticket':
      case 'companion-ticket':
      case 'single-journey':
        return this.cardLookup.ticket(c, mode, rules, now, at);
      case 'offline-code':
        return { facts: { kind: 'offline-code' }, ...UNKNOWN_PERSON };
    }
  }

  private async establishRideCode(
    code: string,
    mode: 'entry' | 'exit',
    rules: RuleVersion,
    now: number,
    deadlineMs?: number,
  ): Promise<Established | Unavailable> {
    const verified = await this.rideCodes.verify(code, now);
    if (verified.status === 'invalid')
      return { facts: { kind: 'rejected', reason: 'CODE_INVALID' }, ...UNKNOWN_PERSON };
    // An expired but genuine code still lets its rider out: exits never trap a rider.
    if (verified.status === 'expired' && mode === 'entry') {
      return { facts: { kind: 'rejected', reason: 'CODE_EXPIRED' }, ...UNKNOWN_PERSON };
    }
    const riderId = verified.claims.sub;
    const who = {
      traveller: `rider:${riderId}`,
      riderId,
      medium: null,
      jti: { id: verified.claims.jti, expiresAt: verified.claims.exp * 1000 },
    };
    // Health data is fetched only when the decision needs it, and only with an active consent.
    const facts = await this.riders.of(riderId, mode, rules, deadlineMs);
    return isUnavailable(facts) ? facts : { facts, ...who };
  }
}
