import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@app/access-token';
import {
  healthReasons,
  temperatureReasons,
  testReason,
  testStanding,
  type TestStanding,
} from '@app/decision';
import { formatShanghai, type Reason } from '@app/protocol';
import { instant } from '../common/instants';
import { AppError } from '../common/errors';
import type { Clock } from '../common/clock';
import { CLOCK } from '../common/tokens';
import { AuthorityClient, toFacts, type AuthorityHealth } from '../health-link/authority.client';
import { IdLookupLimiter, refusedLookup } from '../id-lookups/id-lookup-limiter';
import { RulesService } from '../rules/rules.service';
import { VerificationLog } from './verification-log.service';
import type { EvidenceKind, VerificationDto } from './staff.dto';

const AUTHORITY_TIMEOUT_MS = 3_000;

/** What one check found: reason codes and the code's or report's standing, never a value. */
interface CheckResult {
  reasons: Reason[];
  codeStatus?: string;
  testStanding?: TestStanding;
}

/**
 * The desk's evidence checks. The rules in force at the station decide; the answer is shown
 * to staff and never stored. Each check gets a verification id, which a registration or a
 * one-time pass must name; the record keeps only what was checked and the verdict.
 */
@Injectable()
export class VerifyService {
  constructor(
    private readonly authority: AuthorityClient,
    private readonly rules: RulesService,
    private readonly log: VerificationLog,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly limiter: IdLookupLimiter,
  ) {}

  offlineCode(staff: Principal, stationId: string, code: string, idNumber: string) {
    return this.check(staff, stationId, 'offline-code', idNumber, async (now, rules) => {
      const v = await this.authority.verifyOfflineCode(code, idNumber, AUTHORITY_TIMEOUT_MS);
      if (v.status === 'expired') return { reasons: ['CODE_EXPIRED'], codeStatus: v.status };
      if (v.status !== 'valid') return { reasons: ['CODE_INVALID'], codeStatus: v.status };
      // A valid code held by someone else is not evidence for this person.
      if (v.belongsToIdNumber !== true || v.health === null)
        return { reasons: ['CODE_INVALID'], codeStatus: 'not-holder' };
      return { reasons: this.healthOf(v.health, rules, now), codeStatus: v.status };
    });
  }

  relativeCode(staff: Principal, stationId: string, code: string) {
    return this.check(staff, stationId, 'relative-code', null, async (now, rules) => {
      const v = await this.authority.verifyRelativeCode(code, AUTHORITY_TIMEOUT_MS);
      if (v.status !== 'valid' || v.health === null)
        return { reasons: ['CODE_INVALID'], codeStatus: v.status };
      return {
        reasons: this.healthOf(v.health, rules, now),
        codeStatus: v.status,
        idNumber: v.dependantIdNumber,
      };
    });
  }

  elderlyChild(staff: Principal, stationId: string, idNumber: string, name: string) {
    return this.check(staff, stationId, 'elderly-child', idNumber, async (now, rules) => {
      // A status read by ID number (and a name): counted and recorded like an ID lookup.
      const verdict = await this.limiter.admit(
        { kind: 'staff', staffId: staff.sub, stationId },
        idNumber,
      );
      if (!verdict.ok) throw refusedLookup(verdict.retryAfterSeconds);
      const r = await this.authority.lookupElderlyChild(idNumber, name, AUTHORITY_TIMEOUT_MS);
      switch (r.kind) {
        case 'not-eligible':
          throw new AppError(
            'NOT_ELIGIBLE',
            'the elderly/child lookup is only for people under 18 or 60 and over',
          );
        case 'not-found':
          throw new AppError('NOT_FOUND', 'the health-code service has no such person');
        case 'found':
          return { reasons: this.healthOf(r.health, rules, now) };
      }
    });
  }

  /** Staff read the sampling time off a paper or remote report; the window in force decides. */
  testReport(staff: Principal, stationId: string, sampledAt: string) {
    return this.check(staff, stationId, 'test-report', null, async (now, rules) => {
      const sampled = instant(sampledAt, 'sampledAt');
      // The engine's own rule, both ends: a report sampled after now does not count yet.
      const reason = testReason(sampled, rules.testWindowHours, now);
      return {
        reasons: reason === null ? [] : [reason],
        testStanding: testStanding(sampled, rules.testWindowHours, now),
      };
    });
  }

  temperature(staff: Principal, stationId: string, temperatureC: number) {
    return this.check(staff, stationId, 'temperature', null, async (_now, rules) => ({
      reasons: temperatureReasons(temperatureC, rules),
    }));
  }

  private healthOf(
    h: AuthorityHealth,
    rules: Parameters<typeof healthReasons>[1],
    now: number,
  ): Reason[] {
    return healthReasons(toFacts(h), rules, now);
  }

  /**
   * Runs one check and records it with an id, failures included: what was checked, the
   * verdict and the keyed hash of the person's ID number, never what the check showed.
   */
  private async check(
    staff: Principal,
    stationId: string,
    evidence: EvidenceKind,
    idNumber: string | null,
    run: (
      now: number,
      rules: ReturnType<RulesService['governing']>['rules'],
    ) => Promise<CheckResult & { idNumber?: string | null }>,
  ): Promise<VerificationDto> {
    const now = this.clock.now();
    const { rules } = this.rules.governing(stationId, now);
    const entry = { stationId, evidence, policyVersion: rules.id };
    let found: CheckResult & { idNumber?: string | null };
    try {
      found = await run(now, rules);
    } catch (e) {
      const verdict = e instanceof AppError ? e.code.toLowerCase().replace(/_/g, '-') : 'error';
      const { id } = await this.log.record(staff, 'verify', { ...entry, verdict, idNumber });
      if (e instanceof AppError) throw new AppError(e.code, e.message, { verificationId: id });
      throw e;
    }
    const { idNumber: about, ...result } = found;
    const pass = result.reasons.length === 0;
    const { id, usableUntil } = await this.log.record(staff, 'verify', {
      ...entry,
      verdict: pass ? 'pass' : 'fail',
      idNumber: about ?? idNumber,
    });
    return {
      verificationId: id,
      pass,
      evidence,
      policyVersion: rules.id,
      ...(pass ? { usableUntil: formatShanghai(usableUntil) } : {}),
      ...result,
    };
  }
}
