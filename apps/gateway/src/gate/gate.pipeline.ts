import { Inject, Injectable, Optional } from '@nestjs/common';
import type { RuleVersion } from '@app/decision';
import type { GateReply, ScanRequest, TapRequest } from '@app/protocol';
import { AdmissionBatcher } from '../admissions/admission.batcher';
import type { Admission } from '../admissions/admissions.repository';
import type { Clock } from '../common/clock';
import type { Logger } from '../common/logger';
import { beforeDeadline, systemTimer, type Timer } from '../common/timer';
import { CLOCK, CONFIG, LOGGER, TIMER } from '../common/tokens';
import type { GatewayConfig } from '../config';
import { Metrics } from '../ops/metrics';
import { RulesService } from '../rules/rules.service';
import { IdempotencyCache, requestFingerprint, type TapDevice } from './idempotency.cache';
import {
  admissionReply,
  malformedReply,
  noPolicy,
  unavailableReply,
  type ReplyContext,
} from './replies';

/** A message from a fare gate (a tap) or from a checkpoint (a scan). */
export type GateRequest = TapRequest | ScanRequest;

/** One message's turn through the pipeline: its rules, its reply context, its deadline. */
export interface Turn {
  /** performance.now() when deciding began: the decision's duration counts from here. */
  started: number;
  /** The decision instant, on the gateway's clock. */
  now: number;
  rules: RuleVersion;
  /** The SHA-256 of `rules`, as GET /rules/versions/:id shows it. */
  hash: string;
  ctx: ReplyContext;
  /** performance.now() past which the message is answered RECORD_UNAVAILABLE. */
  deadlineMs: number;
  fingerprint: string;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const isTap = (req: GateRequest): req is TapRequest => 'gateId' in req;
const deviceOf = (req: GateRequest): TapDevice =>
  isTap(req)
    ? { kind: 'gate', stationId: req.stationId, id: req.gateId }
    : { kind: 'checkpoint', stationId: req.stationId, id: req.deviceId };
/** Where a message came from, as its log lines name it. */
const origin = (req: GateRequest) =>
  isTap(req)
    ? { tapId: req.tapId, stationId: req.stationId, gateId: req.gateId }
    : { tapId: req.tapId, stationId: req.stationId, deviceId: req.deviceId };

/**
 * The steps every gate message takes, taps and scans alike: one reply per (device, tapId,
 * request); a deadline counted from arrival; the rule version in force; the durable admission
 * and its reply; the decision's metrics and log line. What a credential establishes is the
 * caller's (TapService, CheckpointService); everything around it is here.
 */
@Injectable()
export class GatePipeline {
  constructor(
    private readonly rules: RulesService,
    private readonly admissions: AdmissionBatcher,
    private readonly idempotency: IdempotencyCache,
    private readonly metrics: Metrics,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Pick<GatewayConfig, 'tapDeadlineMs'>,
    @Inject(LOGGER) private readonly log: Logger,
    @Optional() @Inject(TIMER) private readonly timer: Timer = systemTimer,
  ) {}

  /**
   * Same device, tapId and request within the window: the same reply, decided once. The same
   * tapId with another request: MALFORMED_REQUEST. Past TAP_DEADLINE_MS from `arrivedAtMs`
   * (performance.now() at arrival): RECORD_UNAVAILABLE, whatever is still running.
   */
  answer(
    req: GateRequest,
    arrivedAtMs: number,
    decide: (turn: Turn) => Promise<GateReply>,
  ): Promise<GateReply> {
    const fingerprint = requestFingerprint(req);
    return this.idempotency.run(
      deviceOf(req),
      req.tapId,
      fingerprint,
      () => this.inTime(req, arrivedAtMs, fingerprint, decide),
      () => malformedReply(req.tapId, this.clock.now()),
    );
  }

  /** The same steps with nothing remembered: a probe's reply is no tap's. */
  once(
    req: GateRequest,
    arrivedAtMs: number,
    decide: (turn: Turn) => Promise<GateReply>,
  ): Promise<GateReply> {
    return this.inTime(req, arrivedAtMs, requestFingerprint(req), decide);
  }

  /** Commits an open decision; the reply is what PostgreSQL committed, in time or not. */
  async admit(turn: Turn, admission: Admission): Promise<GateReply> {
    // Only a tap that needs a staff pass can find it gone.
    return (await this.admitWithPass(turn, admission)) ?? this.unavailable(turn);
  }

  /**
   * Commits an open decision that `admission.passFor` names a staff pass for, spent in the same
   * transaction. Null when another tap spent that pass first: nothing was recorded, and the
   * caller decides the tap again without it.
   */
  async admitWithPass(turn: Turn, admission: Admission): Promise<GateReply | null> {
    const result = await this.admissions.submit(admission, turn.deadlineMs);
    if (result.kind === 'unavailable') return this.unavailable(turn);
    if (result.kind === 'no-pass') return null;
    return admissionReply(admission, result, (id) => this.rules.hashOf(id));
  }

  /** No record could be made or read in time: staff, not the gate, let this rider in. */
  unavailable(turn: Turn): GateReply {
    return unavailableReply(turn.ctx);
  }

  /** Counts the decision and logs it with where its time went; never a health value. */
  done(
    req: GateRequest,
    turn: Turn,
    out: GateReply,
    phases?: { establishMs: number; commitMs?: number },
    what: 'tap' | 'scan' | 'probe' = isTap(req) ? 'tap' : 'scan',
  ): GateReply {
    const ms = performance.now() - turn.started;
    // A probe is no rider's decision: it stays out of the decision metrics.
    if (what !== 'probe') this.metrics.observeDecision(out.outcome, out.reasons, ms);
    this.log.info(
      {
        ...origin(req),
        mode: isTap(req) ? req.mode : undefined,
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

  private inTime(
    req: GateRequest,
    arrivedAtMs: number,
    fingerprint: string,
    decide: (turn: Turn) => Promise<GateReply>,
  ): Promise<GateReply> {
    const deadlineMs = arrivedAtMs + this.config.tapDeadlineMs;
    const now = this.clock.now();
    const { rules, hash } = this.rules.forTap(req.stationId, now);
    const turn: Turn = {
      started: performance.now(),
      now,
      rules,
      hash,
      ctx: { tapId: req.tapId, decidedAt: now, policyVersion: rules.id, policyHash: hash },
      deadlineMs,
      fingerprint,
    };
    return beforeDeadline(decide(turn), deadlineMs, () => this.late(req, arrivedAtMs), this.timer);
  }

  /** The deadline passed first; what was still running can no longer open the gate. */
  private late(req: GateRequest, arrivedAtMs: number): GateReply {
    const out = unavailableReply(noPolicy(req.tapId, this.clock.now()));
    this.metrics.observeDecision(out.outcome, out.reasons, this.timer.now() - arrivedAtMs);
    this.log.warn(origin(req), `${isTap(req) ? 'tap' : 'scan'} answered at its deadline`);
    return out;
  }
}
