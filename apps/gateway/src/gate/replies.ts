import { displayFor, formatShanghai, type GateReply, type Reason } from '@app/protocol';
import type { Decision } from '@app/decision';
import type { Admission, AdmissionResult } from '../admissions/admissions.repository';

export interface ReplyContext {
  tapId: string;
  decidedAt: number;
  policyVersion: string | null;
}

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
    decidedAt: formatShanghai(ctx.decidedAt),
  };
}

export const decisionReply = (ctx: ReplyContext, d: Decision): GateReply =>
  reply(ctx, d.outcome, d.reasons);

/** MALFORMED_REQUEST keeps v, outcome, reasons and display, plus the tapId when one was readable. */
export function malformedReply(tapId: string | undefined, now: number): GateReply {
  const r = reply({ tapId: tapId ?? '', decidedAt: now, policyVersion: null }, 'deny', [
    'MALFORMED_REQUEST',
  ]);
  if (tapId === undefined) delete r.tapId;
  return r;
}

/** The reply a committed (or refused) admission gets; stored so a retry gets the same one. */
export function admissionReply(a: Admission, result: AdmissionResult): GateReply {
  const ctx = { tapId: a.tapId, decidedAt: a.decidedAt, policyVersion: a.policyVersion };
  switch (result.kind) {
    case 'admitted':
      return reply(ctx, 'open', [], a.mode === 'entry' ? a.checkInId : null);
    case 'replayed':
      return reply(ctx, 'deny', ['CODE_REPLAYED']);
    case 'already-inside':
      return reply(ctx, 'deny', ['ALREADY_INSIDE']);
    case 'duplicate':
      return result.reply;
  }
}
