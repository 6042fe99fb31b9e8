import type { Principal } from '@app/access-token';
import { decide, type RuleVersion } from '@app/decision';
import {
  decisionInput,
  riderFacts,
  ruleVersion,
} from '../../../../libs/decision/src/testing/factories';
import { formatShanghai } from '@app/protocol';
import { fixedClock } from '../common/clock';
import type { AuthorityClient } from '../health-link/authority.client';
import type { IdLookupLimiter } from '../id-lookups/id-lookup-limiter';
import { RulePreviewService } from '../rules/rule-preview.service';
import type { RulesService } from '../rules/rules.service';
import type { VerificationLog } from './verification-log.service';
import { VerifyService } from './verify.service';

const HOUR = 3_600_000;
const sampled = Date.parse('2022-05-29T01:00:00.000+08:00');

/** One rule version for every station; the three callers must read its window the same way. */
function fakeRules(rules: RuleVersion): RulesService {
  return { governing: () => ({ rules, hash: 'h' }) } as unknown as RulesService;
}

/** Records nothing; hands out the id and bound a recorded verification would have. */
const logFake = {
  record: async () => ({ id: 'v-1', usableUntil: 0 }),
} as unknown as VerificationLog;
const staff: Principal = { sub: 'staff-1', role: 'staff', station: 'S0312' };

describe('the engine, the rule preview and the desk report check agree on the test window', () => {
  const rules = ruleVersion({ testWindowHours: 72 });
  const clock = fixedClock(sampled);
  const verify = new VerifyService(
    {} as AuthorityClient,
    fakeRules(rules),
    logFake,
    clock,
    {} as IdLookupLimiter,
  );
  const preview = new RulePreviewService(fakeRules(rules));

  it.each([
    { name: '1 ms before sampling', now: sampled - 1, reasons: ['TEST_MISSING'] },
    { name: 'at sampling', now: sampled, reasons: [] },
    { name: '1 ms before the end', now: sampled + 72 * HOUR - 1, reasons: [] },
    { name: 'at the end', now: sampled + 72 * HOUR, reasons: ['TEST_EXPIRED'] },
  ])('$name: $reasons', async ({ now, reasons }) => {
    const engine = decide(
      decisionInput({
        now,
        rules,
        credential: riderFacts({
          health: { kind: 'fresh', facts: { colour: 'green', latestNegativeSampledAt: sampled } },
        }),
      }),
    );
    const previewed = preview.preview({
      stationId: 'S0312',
      at: formatShanghai(now),
      credentialKind: 'ride-code',
      colour: 'green',
      latestNegativeSampledAt: formatShanghai(sampled),
      temperatureC: 36.5,
    });
    clock.set(now);
    const desk = await verify.testReport(staff, 'S0312', formatShanghai(sampled));

    expect(engine.reasons).toEqual(reasons);
    expect(previewed.reasons).toEqual(reasons);
    expect(desk.reasons).toEqual(reasons);
    expect(desk.pass).toBe(reasons.length === 0);
    expect(previewed.testStanding).toBe(desk.testStanding);
  });
});
