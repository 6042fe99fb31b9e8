import type { RuleVersion } from '@app/decision';
import type { TapRequest } from '@app/protocol';
import {
  DEFAULT_NOW,
  riderFacts,
  ruleVersion,
} from '../../../../libs/decision/src/testing/factories';
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
function pipeline(opts: { commit?: (a: Admission) => AdmissionResult } = {}) {
  const v1: RuleVersion = ruleVersion({ id: 'v1' });
  const hashes: Record<string, string> = { v1: 'hash-v1', v0: 'hash-v0' };
  const submitted: Admission[] = [];
  const claimedFor: { probe?: boolean }[] = [];
  const rules = {
    forTap: () => ({ rules: v1, hash: hashes.v1 }),
    hashOf: (id: string) => hashes[id] ?? null,
  } as unknown as RulesService;
  const shadow = { observe: () => undefined } as unknown as RuleShadowService;
  const rideCodes = {
    verify: (code: string) =>
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
    card: (_no: string, _mode: string, _r: RuleVersion, _now: number, at: { probe?: boolean }) => {
      claimedFor.push(at);
      return Promise.resolve({
        facts: { kind: 'cleared' },
        traveller: 'card:C1',
        riderId: null,
        medium: 'card:C1',
        jti: null,
        passId: at.probe === true ? '' : 'pass-1',
      });
    },
    settle: () => Promise.resolve(),
  } as unknown as CardLookupService;
  const riders = { of: () => Promise.resolve(riderFacts()) } as unknown as RiderFactsService;
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
  return { service, submitted, claimedFor, close: () => idempotency.onModuleDestroy() };
}

const tap = (over: Partial<TapRequest> = {}): TapRequest => ({
  v: 1,
  tapId: 'tap-00000001',
  stationId: 'S0312',
  gateId: 'G01',
  mode: 'entry',
  temperatureC: 36.5,
  credential: { kind: 'ride-code', code: 'good' },
  ...over,
});

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

  it('a probe decides like the tap, commits nothing, claims no pass and remembers no reply', async () => {
    const p = pipeline();
    const probed = await p.service.probe(tap(), performance.now());
    expect(probed).toMatchObject({ outcome: 'open', checkInId: null, policyHash: 'hash-v1' });
    const card = tap({ tapId: 'tap-00000002', credential: { kind: 'card', cardNo: 'C1' } });
    expect(await p.service.probe(card, performance.now())).toMatchObject({ outcome: 'open' });
    expect(p.submitted).toEqual([]);
    expect(p.claimedFor.map((at) => at.probe)).toEqual([true]);
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
});
