import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  decide,
  isUnavailable,
  type CredentialFacts,
  type RuleVersion,
  type Unavailable,
} from '@app/decision';
import type { GateCredential, GateReply, TapRequest } from '@app/protocol';
import { CardLookupService, type TapPlace } from '../cards/card-lookup.service';
import { RiderFactsService } from '../riders/rider-facts.service';
import { RideCodeService } from '../ride-code/ride-code.service';
import { RuleShadowService } from '../rules/rule-shadow.service';
import { GatePipeline, type Turn } from './gate.pipeline';
import { decisionReply } from './replies';

/** What the credential established, beyond the engine's facts: who, for passback and check-in. */
interface Established {
  facts: CredentialFacts;
  traveller: string | null;
  riderId: string | null;
  medium: string | null;
  jti: { id: string; expiresAt: number } | null;
  /** Cleared by a staff one-time pass bound to one of these; the admission spends it. */
  passFor?: readonly [string] | readonly [string, string];
}

const UNKNOWN_PERSON = { traveller: null, riderId: null, medium: null, jti: null };

const decisionInput = (req: TapRequest, rules: RuleVersion, now: number) => ({
  mode: req.mode,
  temperatureC: req.temperatureC,
  rules,
  now,
});

/** One gate tap's own steps: what its credential establishes, a staff pass, the decision. */
@Injectable()
export class TapService {
  constructor(
    private readonly pipeline: GatePipeline,
    private readonly shadow: RuleShadowService,
    private readonly rideCodes: RideCodeService,
    private readonly cardLookup: CardLookupService,
    private readonly riders: RiderFactsService,
  ) {}

  /** Decided once per (station, gate, tapId, request), by the tap's deadline. */
  handle(req: TapRequest, arrivedAtMs: number): Promise<GateReply> {
    return this.pipeline.answer(req, arrivedAtMs, (turn) => this.decideTap(req, turn));
  }

  /**
   * A probe: the reply this tap would get from the same rules, credential and health checks,
   * with nothing recorded, claimed or opened (no receipt, no check-in, no staff pass, no
   * ride-code use). What only the commit decides (a replayed code, passback) is not checked.
   */
  probe(req: TapRequest, arrivedAtMs: number): Promise<GateReply> {
    return this.pipeline.once(req, arrivedAtMs, (turn) => this.decideTap(req, turn, true));
  }

  /**
   * `passGone`: the staff pass this tap's lookup saw was spent by another tap before this one was
   * recorded; the tap is decided again without it.
   */
  private async decideTap(
    req: TapRequest,
    turn: Turn,
    probe = false,
    passGone = false,
  ): Promise<GateReply> {
    const { rules, now, ctx } = turn;
    const at = {
      stationId: req.stationId,
      gateId: req.gateId,
      tapId: req.tapId,
      deadlineMs: turn.deadlineMs,
      passGone,
    };
    let est = await this.establish(req.credential, req.mode, rules, now, at);
    if (isUnavailable(est)) return this.pipeline.done(req, turn, this.pipeline.unavailable(turn));
    let decision = decide({ ...decisionInput(req, rules, now), credential: est.facts });
    if (probe)
      return this.pipeline.done(req, turn, decisionReply(ctx, decision), undefined, 'probe');
    // Shadow rollout: the same facts under scheduled versions, counted in memory only.
    if (!passGone)
      this.shadow.observe(
        req.stationId,
        { ...decisionInput(req, rules, now), credential: est.facts },
        decision,
      );
    // Sent to staff, who may already have cleared this rider at this station: a pass of theirs
    // opens it if one is left when the tap is recorded; otherwise this reply stands.
    let withoutPass: GateReply | undefined;
    if (
      !passGone &&
      decision.outcome === 'see-staff' &&
      req.mode === 'entry' &&
      req.credential.kind === 'ride-code' &&
      est.riderId !== null
    ) {
      const cleared = decide({
        ...decisionInput(req, rules, now),
        credential: { kind: 'cleared' },
      });
      if (cleared.outcome === 'open') {
        withoutPass = decisionReply(ctx, decision);
        est = { ...est, facts: { kind: 'cleared' }, passFor: [`rider:${est.riderId}`] };
        decision = cleared;
      }
    }
    const established = performance.now();

    let out: GateReply;
    let commitMs: number | undefined;
    if (decision.outcome !== 'open' || est.traveller === null) {
      out = decisionReply(ctx, decision);
    } else {
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
        policyHash: turn.hash,
        fingerprint: turn.fingerprint,
      };
      if (est.passFor === undefined) out = await this.pipeline.admit(turn, admission);
      else {
        const passed = await this.pipeline.admitWithPass(turn, {
          ...admission,
          passFor: est.passFor,
        });
        if (passed !== null) out = passed;
        // Another tap spent the pass first: the rider's own reply stands; a card or ticket is
        // decided again as if the pass had never been seen.
        else if (withoutPass !== undefined) out = withoutPass;
        else return this.decideTap(req, turn, false, true);
      }
      commitMs = performance.now() - established;
    }
    return this.pipeline.done(req, turn, out, {
      establishMs: established - turn.started,
      commitMs,
    });
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
