import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';

export const DAY_MS = 86_400_000;
export const OFFLINE_CODE_VALIDITY_MS = 180 * DAY_MS;
export const NUCLEIC_ACID_CODE_VALIDITY_MS = 30 * DAY_MS;
/** The dynamic 随申码 refreshes every minute in the app; a screenshot is useless soon after. */
export const HEALTH_CODE_VALIDITY_MS = 60_000;
/** How long an ended health code is still told apart as expired (or superseded). */
export const HEALTH_CODE_KEPT_MS = 10 * 60_000;

export type CodeStatus = 'valid' | 'superseded' | 'expired' | 'unknown';

export interface IssuedCode {
  readonly code: string;
  readonly idNumber: string;
  readonly issuedAt: number;
  /** Exclusive: the code is expired from this instant on. */
  readonly validUntil: number;
  superseded: boolean;
}

/** A prefix and 15 random bytes as 20 url-safe characters: printable and unguessable. */
export const opaqueCode = (prefix: string): string =>
  `${prefix}${randomBytes(15).toString('base64url')}`;

/**
 * Codes of which at most one per person is valid: issuing a new one, or voiding, supersedes the
 * current one for good. Old codes are kept so a verification can say "superseded", not "unknown".
 */
export class OnePerPersonCodes {
  private readonly byCode = new Map<string, IssuedCode>();
  private readonly current = new Map<string, IssuedCode>();

  constructor(
    private readonly prefix: string,
    private readonly validityMs: number,
  ) {}

  issue(idNumber: string, nowMs: number): IssuedCode {
    this.void(idNumber);
    const issued: IssuedCode = {
      code: opaqueCode(this.prefix),
      idNumber,
      issuedAt: nowMs,
      validUntil: nowMs + this.validityMs,
      superseded: false,
    };
    this.byCode.set(issued.code, issued);
    this.current.set(idNumber, issued);
    return issued;
  }

  /** True when a current code was voided. */
  void(idNumber: string): boolean {
    const current = this.current.get(idNumber);
    if (!current) return false;
    current.superseded = true;
    this.current.delete(idNumber);
    return true;
  }

  find(code: string): Readonly<IssuedCode> | undefined {
    return this.byCode.get(code);
  }

  /** Forgets codes that ended before `cutoffMs` (they then verify as unknown); returns how many. */
  forgetEndedBefore(cutoffMs: number): number {
    let forgotten = 0;
    for (const [code, issued] of this.byCode) {
      if (issued.validUntil >= cutoffMs) continue;
      this.byCode.delete(code);
      if (this.current.get(issued.idNumber) === issued) this.current.delete(issued.idNumber);
      forgotten += 1;
    }
    return forgotten;
  }

  /** Superseded wins over expired: a voided code stays voided whatever the clock says. */
  static statusOf(issued: Readonly<IssuedCode> | undefined, nowMs: number): CodeStatus {
    if (!issued) return 'unknown';
    if (issued.superseded) return 'superseded';
    return nowMs >= issued.validUntil ? 'expired' : 'valid';
  }
}

/** Paper offline codes (离线随申码): 180 days, one valid per person. */
@Injectable()
export class OfflineCodeStore extends OnePerPersonCodes {
  constructor() {
    super('OFF-', OFFLINE_CODE_VALIDITY_MS);
  }
}

/** Nucleic-acid codes (核酸码): 30 days, one valid at a time, independent of offline codes. */
@Injectable()
export class NucleicAcidCodeStore extends OnePerPersonCodes {
  constructor() {
    super('NAC-', NUCLEIC_ACID_CODE_VALIDITY_MS);
  }
}

/**
 * A person's own dynamic 随申码 (health code): shown in the health-code app, valid one minute, and
 * each refresh supersedes the one before.
 */
@Injectable()
export class HealthCodeStore extends OnePerPersonCodes {
  private issuedSinceSweep = 0;

  constructor() {
    super('HC-', HEALTH_CODE_VALIDITY_MS);
  }

  /**
   * A code a minute per person would grow without end: every 1000 issues, codes that ended more
   * than HEALTH_CODE_KEPT_MS ago are forgotten (they then verify as invalid, not expired).
   */
  override issue(idNumber: string, nowMs: number): IssuedCode {
    if (++this.issuedSinceSweep >= 1000) {
      this.issuedSinceSweep = 0;
      this.forgetEndedBefore(nowMs - HEALTH_CODE_KEPT_MS);
    }
    return super.issue(idNumber, nowMs);
  }
}

export interface RelativeCode {
  readonly code: string;
  readonly guardianIdNumber: string;
  readonly dependantIdNumber: string;
}

/** Relatives' codes (亲属随申码): one per guardian and dependant; asking again gives the same code. */
@Injectable()
export class RelativeCodeStore {
  private readonly byCode = new Map<string, RelativeCode>();
  private readonly byPair = new Map<string, RelativeCode>();

  issue(guardianIdNumber: string, dependantIdNumber: string): RelativeCode {
    // ID numbers are fixed-length, so the pair key is unambiguous.
    const pair = guardianIdNumber + dependantIdNumber;
    const existing = this.byPair.get(pair);
    if (existing) return existing;
    const issued = { code: opaqueCode('REL-'), guardianIdNumber, dependantIdNumber };
    this.byCode.set(issued.code, issued);
    this.byPair.set(pair, issued);
    return issued;
  }

  find(code: string): RelativeCode | undefined {
    return this.byCode.get(code);
  }
}
