import { DEFAULT_NOW, ruleVersion } from '../../../../libs/decision/src/testing/factories';
import { scanRequest, tapRequest } from '../../../../libs/protocol/src/testing/requests';
import type { AdmissionBatcher } from '../admissions/admission.batcher';
import { fixedClock } from '../common/clock';
import type { Logger } from '../common/logger';
import { manualTimer } from '../common/timer';
import { Metrics } from '../ops/metrics';
import type { RulesService } from '../rules/rules.service';
import { GatePipeline, type Turn } from './gate.pipeline';
import { IdempotencyCache } from './idempotency.cache';
import { reply } from './replies';

const DEADLINE_MS = 900;

/** The steps taps and scans share, with in-memory fakes and a timer that moves when told. */
function gates() {
  const timer = manualTimer(1_000);
  const rules = {
    forTap: () => ({ rules: ruleVersion({ id: 'v1' }), hash: 'hash-v1' }),
    hashOf: () => 'hash-v1',
  } as unknown as RulesService;
  const idempotency = new IdempotencyCache({ idempotencyWindowMinutes: 10 });
  const logged: { fields: Record<string, unknown>; msg: string }[] = [];
  const log = {
    info: (fields: Record<string, unknown>, msg: string) => logged.push({ fields, msg }),
    warn: (fields: Record<string, unknown>, msg: string) => logged.push({ fields, msg }),
    error: () => undefined,
  } as unknown as Logger;
  const pipeline = new GatePipeline(
    rules,
    {} as AdmissionBatcher,
    idempotency,
    new Metrics(),
    fixedClock(DEFAULT_NOW),
    { tapDeadlineMs: DEADLINE_MS },
    log,
    timer,
  );
  let decided = 0;
  const open = (turn: Turn) => {
    decided++;
    return Promise.resolve(reply(turn.ctx, 'open', []));
  };
  return {
    pipeline,
    timer,
    logged,
    open,
    decisions: () => decided,
    close: () => idempotency.onModuleDestroy(),
  };
}

const tap = tapRequest;
const scan = scanRequest;

describe('GatePipeline: the steps every gate message takes', () => {
  it('decides a repeated request once and refuses the same tapId with another request', async () => {
    const g = gates();
    const first = await g.pipeline.answer(tap(), g.timer.now(), g.open);
    expect(await g.pipeline.answer(tap(), g.timer.now(), g.open)).toEqual(first);
    const other = tap({ credential: { kind: 'ride-code', code: 'code-b' } });
    expect(await g.pipeline.answer(other, g.timer.now(), g.open)).toMatchObject({
      outcome: 'deny',
      reasons: ['MALFORMED_REQUEST'],
    });
    expect(g.decisions()).toBe(1);
    g.close();
  });

  it("keeps a gate's and a checkpoint's tapIds apart, even where their ids are equal", async () => {
    const g = gates();
    await g.pipeline.answer(tap(), g.timer.now(), g.open);
    const scanned = await g.pipeline.answer(scan(), g.timer.now(), g.open);
    expect(scanned.outcome).toBe('open');
    expect(g.decisions()).toBe(2);
    g.close();
  });

  it.each([
    [DEADLINE_MS - 1, 'open'],
    [DEADLINE_MS, 'see-staff'],
  ])('a decision still running %i ms after arrival is answered %s', async (elapsedMs, outcome) => {
    const g = gates();
    const arrivedAtMs = g.timer.now();
    let finish: (() => void) | undefined;
    const slow = (turn: Turn) =>
      new Promise<ReturnType<typeof reply>>((resolve) => {
        finish = () => resolve(reply(turn.ctx, 'open', []));
      });
    const answered = g.pipeline.answer(tap(), arrivedAtMs, slow);
    g.timer.advance(elapsedMs);
    finish?.();
    const r = await answered;
    expect(r.outcome).toBe(outcome);
    if (outcome === 'see-staff') {
      expect(r.reasons).toEqual(['RECORD_UNAVAILABLE']);
      expect(g.logged.map((l) => l.msg)).toContain('tap answered at its deadline');
    }
    g.close();
  });

  it('logs a decision with where it came from and never a credential value', async () => {
    const g = gates();
    const turnOf: Turn[] = [];
    await g.pipeline.answer(scan(), g.timer.now(), (turn) => {
      turnOf.push(turn);
      return Promise.resolve(g.pipeline.done(scan(), turn, reply(turn.ctx, 'open', [])));
    });
    expect(g.logged).toEqual([
      {
        msg: 'scan decided',
        fields: expect.objectContaining({
          tapId: 'tap-00000001',
          stationId: 'S0312',
          deviceId: 'G01',
          credential: 'ride-code',
          outcome: 'open',
        }),
      },
    ]);
    expect(JSON.stringify(g.logged)).not.toContain('code-a');
    expect(turnOf[0]).toMatchObject({ hash: 'hash-v1', ctx: { policyVersion: 'v1' } });
    g.close();
  });
});
