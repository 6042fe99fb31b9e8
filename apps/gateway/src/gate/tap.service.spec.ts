import type { RuleVersion } from '@app/decision';
import type { TapRequest } from '@app/protocol';
import {
  DEFAULT_NOW,
  riderFacts,
  ruleVersion,
} from '../../../../libs/decision/src/testing/factories';
import { tapRequest } from '../../../../libs/protocol/src/testing/requests';
import type { Admission, AdmissionResult } from '../admissions/admissions.repository';
import type { AdmissionBatcher } from '../admissions/admission.batcher';
import type { CardLookupService } from '../cards/card-lookup.service';
import { fixedClock } from '../common/clock';
import type { Logger } from '../common/logger';
import { manualTimer } from '../common/timer';
import { Metrics } from '../ops/metrics';
import type { RideCodeService } from '../ride-code/ride-code.service';
import type { RiderFactsService } from '../riders/rider-facts.service';
import type { RuleShadowService } from '../rules/rule-shadow.service';
import type { RulesService } from '../rules/rules.service';
import { GatePipeline } from './gate.pipeline';
import { IdempotencyCache } from './idempotency.cache';
import { TapService } from './tap.service';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The tap pipeline with in-memory fakes: rules, codes, rider facts, the commit, the clock. */
function pipeline(
  opts: {
    commit?: (a: Admission) => AdmissionResult;
    riderFacts?: ReturnType<typeof riderFacts>;
  } = {},
) {
  const v1: RuleVersion = ruleVersion({ id: 'v1' });
  const hashes: Record<string, string> = { v1: 'hash-v1', v0: 'hash-v0' };
  const submitted: Admission[] = [];
  const lookedUp: { passGone?: boolean }[] = [];
  const rules = {
    forTap: () => ({ rules: v1, hash: hashes.v1 }),
    hashOf: (id: string) => hashes[id] ?? null,
  } as unknown as RulesService;
  const shadow = { observe: () => undefined } as unknown as RuleShadowService;
  const verified: string[] = [];
  const rideCodes = {
    verify: (code: string) =>
      verified.push(code) &&
      Promise.resolve(
        code === 'good'
          ? {
              status: 'valid',
              claims: { sub: 'r1', jti: 'j1', exp: DEFAULT_NOW / 1000 + 60 },
            }
          : { status: 'invalid' },
      ),
  } as unknown as RideCodeService;
  const admissions = {
    submit: (a: Admission) => {
      submitted.push(a);
      return Promise.resolve(opts.commit?.(a) ?? { kind: 'admitted' });
    },
  } as unknown as AdmissionBatcher;
  const cardLookup = {
    // Card C1 is linked to rider r1 and has a staff pass at the gate, until another tap spends it.
    card: (
      _no: string,
      _mode: string,
      _r: RuleVersion,
      _now: number,
      at: { passGone?: boolean },
    ) => {
      lookedUp.push(at);
      const who = { traveller: 'rider:r1', riderId: 'r1', medium: 'card:C1', jti: null };
      return Promise.resolve(
        at.passGone === true
          ? { facts: riderFacts(), ...who }
          : { facts: { kind: 'cleared' }, ...who, passFor: ['card:C1', 'gate:G01'] },
      );
    },
  } as unknown as CardLookupService;
  const riders = {
    of: () => Promise.resolve(opts.riderFacts ?? riderFacts()),
  } as unknown as RiderFactsService;
  const idempotency = new IdempotencyCache({ idempotencyWindowMinutes: 10 });
  const gates = new GatePipeline(
    rules,
    admissions,
    idempotency,
    new Metrics(),
    fixedClock(DEFAULT_NOW),
    { tapDeadlineMs: 900 },
    silent as unknown as Logger,
    manualTimer(),
  );
  const service = new TapService(gates, shadow, rideCodes, cardLookup, riders);
  return { service, submitted, lookedUp, verified, close: () => idempotency.onModuleDestroy() };
}

/** A tap with the code the fake verifier accepts. */
const tap = (over: Partial<TapRequest> = {}): TapRequest =>
  tapRequest({ credential: { kind: 'ride-code', code: 'good' }, ...over });

describe('TapService (the tap pipeline) with in-memory fakes', () => {
  it('commits an open and names the version and its hash in the reply', async () => {
    const p = pipeline();
    const r = await p.service.handle(tap(), performance.now());
    expect(r).toMatchObject({ outcome: 'open', policyVersion: 'v1', policyHash: 'hash-v1' });
    expect(p.submitted.map((a) => [a.tapId, a.policyVersion, a.policyHash])).toEqual([
      ['tap-00000001', 'v1', 'hash-v1'],
    ]);
    expect(r.checkInId).toBe(p.submitted[0].checkInId);
    p.close();
  });

  it("answers a retry committed earlier (elsewhere) with its first attempt's version and hash", async () => {
    const p = pipeline({
      commit: () => ({
        kind: 'duplicate',
        first: {
          kind: 'admitted',
          mode: 'entry',
          decidedAt: DEFAULT_NOW - 5_000,
          checkInId: 'first-check-in',
          policyVersion: 'v0',
        },
      }),
    });
    const r = await p.service.handle(tap(), performance.now());
    expect(r).toMatchObject({
      outcome: 'open',
      checkInId: 'first-check-in',
      policyVersion: 'v0',
      policyHash: 'hash-v0',
      decidedAt: '2022-06-02T11:59:55.000+08:00',
    });
    p.close();
  });

  it('a probe decides like the tap, commits nothing, spends no pass and remembers no reply', async () => {
    const p = pipeline();
    const probed = await p.service.probe(tap(), performance.now());
    expect(probed).toMatchObject({ outcome: 'open', checkInId: null, policyHash: 'hash-v1' });
    const card = tap({ tapId: 'tap-00000002', credential: { kind: 'card', cardNo: 'C1' } });
    expect(await p.service.probe(card, performance.now())).toMatchObject({ outcome: 'open' });
    // A staff pass is spent only by an admission, and a probe submits none.
    expect(p.submitted).toEqual([]);
    expect(p.lookedUp).toHaveLength(1);
    // The same tapId as a real tap is decided afresh and committed.
    const real = await p.service.handle(tap(), performance.now());
    expect(real.checkInId).toEqual(expect.any(String));
    expect(p.submitted).toHaveLength(1);
    p.close();
  });

  it('a probe of a forged code is refused as the tap would be', async () => {
    const p = pipeline();
    const r = await p.service.probe(
      tap({ credential: { kind: 'ride-code', code: 'forged' } }),
      performance.now(),
    );
    expect(r).toMatchObject({ outcome: 'deny', reasons: ['CODE_INVALID'] });
    p.close();
  });

  const cardTap = () => tap({ credential: { kind: 'card', cardNo: 'C1' } });

  it('a card cleared by a staff pass asks the admission to spend it, by the card or the gate', async () => {
    const p = pipeline();
    expect(await p.service.handle(cardTap(), performance.now())).toMatchObject({
      outcome: 'open',
    });
    expect(p.submitted.map((a) => a.passFor)).toEqual([['card:C1', 'gate:G01']]);
    p.close();
  });

  it('a card whose pass another tap spent first is decided again without it, by its rider', async () => {
    const p = pipeline({ commit: (a) => (a.passFor ? { kind: 'no-pass' } : { kind: 'admitted' }) });
    const r = await p.service.handle(cardTap(), performance.now());
    expect(r).toMatchObject({ outcome: 'open', checkInId: p.submitted[1]?.checkInId });
    expect(p.lookedUp.map((at) => at.passGone)).toEqual([false, true]);
    expect(p.submitted.map((a) => a.passFor)).toEqual([['card:C1', 'gate:G01'], undefined]);
    p.close();
  });

  it("a ride code sent to staff asks for the rider's own pass; without one, staff it is", async () => {
    const p = pipeline({
      riderFacts: riderFacts({ authorized: false }),
      commit: (a) => (a.passFor ? { kind: 'no-pass' } : { kind: 'admitted' }),
    });
    const r = await p.service.handle(tap(), performance.now());
    expect(r).toMatchObject({ outcome: 'see-staff', reasons: ['NOT_AUTHORIZED'], checkInId: null });
    expect(p.submitted.map((a) => [a.passFor, a.jti])).toEqual([[['rider:r1'], 'j1']]);
    // The reply it had before asking stands: the code is not checked twice.
    expect(p.verified).toEqual(['good']);
    p.close();
  });

  it("a ride code sent to staff opens on the rider's pass, spent in its admission", async () => {
    const p = pipeline({ riderFacts: riderFacts({ authorized: false }) });
    const r = await p.service.handle(tap(), performance.now());
    expect(r).toMatchObject({ outcome: 'open', checkInId: p.submitted[0].checkInId });
    expect(p.submitted.map((a) => a.passFor)).toEqual([['rider:r1']]);
    p.close();
  });

  it('a ride code sent to staff for a reason a pass does not clear never asks for one', async () => {
    const p = pipeline({ riderFacts: riderFacts({ authorized: false }) });
    const r = await p.service.handle(tap({ temperatureC: 39.1 }), performance.now());
    expect(r.outcome).not.toBe('open');
    expect(p.submitted).toEqual([]);
    p.close();
  });
});
