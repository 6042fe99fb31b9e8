import { displayFor, formatShanghai, type GateReply, type Reason } from '@app/protocol';
import type { Decision } from '@app/decision';
import type {
  Admission,
  AdmissionResult,
  CommittedAdmission,
} from '../admissions/admissions.repository';

export interface ReplyContext {
  tapId: string;
  decidedAt: number;
  policyVersion: string | null;
  /** The hash of the version's canonical form (GET /rules/versions/:id shows the same). */
  policyHash: string | null;
}

/** A reply decided by no rule version: malformed, or no record could be made in time. */
export const noPolicy = (tapId: string, decidedAt: number): ReplyContext => ({
  tapId,
  decidedAt,
  policyVersion: null,
  policyHash: null,
});

export function reply(
  ctx: ReplyContext,
  outcome: GateReply['outcome'],
  reasons: Reason[],
  checkInId: string | null = null,
): GateReply {
  return {
    v: 1,
    tapId: ctx.tapId,
    outcome,
    reasons,
    display: displayFor(reasons),
    checkInId,
    policyVersion: ctx.policyVersion,
    policyHash: ctx.policyHash,
    decidedAt: formatShanghai(ctx.decidedAt),
  };
}

/** No record could be made or read in time: staff, not the gate, let this rider in. */
export const unavailableReply = (ctx: ReplyContext): GateReply =>
  reply(ctx, 'see-staff', ['RECORD_UNAVAILABLE']);

export const decisionReply = (ctx: ReplyContext, d: Decision): GateReply =>
  reply(ctx, d.outcome, d.reasons);

/** MALFORMED_REQUEST keeps v, outcome, reasons and display, plus the tapId when one was readable. */
export function malformedReply(tapId: string | undefined, now: number): GateReply {
  const r = reply(noPolicy(tapId ?? '', now), 'deny', ['MALFORMED_REQUEST']);
  if (tapId === undefined) delete r.tapId;
  return r;
}

/**
 * The reply to what PostgreSQL committed. A retry of a tap committed before gets the reply its
 * first attempt got, rebuilt from the facts it committed (the hash from `hashOf` its version).
 */
export function admissionReply(
  a: Admission,
  /** A tap whose staff pass was gone was never recorded: its caller decides it again. */
  result: Exclude<AdmissionResult, { kind: 'no-pass' }>,
  hashOf: (versionId: string) => string | null,
): GateReply {
  if (result.kind === 'duplicate')
    return committedReply(a.tapId, result.first, hashOf(result.first.policyVersion));
  // The tapId was used before for another request: refused, never that request's reply.
  if (result.kind === 'mismatch') return malformedReply(a.tapId, a.decidedAt);
  return committedReply(a.tapId, { kind: result.kind, ...a, checkInId: a.checkInId }, a.policyHash);
}

function committedReply(
  tapId: string,
  c: CommittedAdmission,
  policyHash: string | null,
): GateReply {
  const ctx = { tapId, decidedAt: c.decidedAt, policyVersion: c.policyVersion, policyHash };
  switch (c.kind) {
    case 'admitted':
      return reply(ctx, 'open', [], c.mode === 'entry' ? c.checkInId : null);
    case 'replayed':
      return reply(ctx, 'deny', ['CODE_REPLAYED']);
    case 'already-inside':
      return reply(ctx, 'deny', ['ALREADY_INSIDE']);
  }
}
