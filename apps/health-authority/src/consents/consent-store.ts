import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';

export interface Consent {
  readonly consentId: string;
  readonly idNumber: string;
  readonly grantee: string;
  readonly purpose: string;
  readonly grantedAt: number;
}

/** Active consents only: a revoked consent is deleted, so it can never be read again. */
@Injectable()
export class ConsentStore {
  private readonly byId = new Map<string, Consent>();
  private readonly byPerson = new Map<string, Set<string>>();

  get(consentId: string): Consent | undefined {
    return this.byId.get(consentId);
  }

  add(idNumber: string, grantee: string, purpose: string, now = Date.now()): Consent {
    // 18 random bytes -> 24 url-safe characters: opaque and unguessable.
    const consent: Consent = {
      consentId: `c_${randomBytes(18).toString('base64url')}`,
      idNumber,
      grantee,
      purpose,
      grantedAt: now,
    };
    this.byId.set(consent.consentId, consent);
    let ids = this.byPerson.get(idNumber);
    if (!ids) this.byPerson.set(idNumber, (ids = new Set()));
    ids.add(consent.consentId);
    return consent;
  }

  /** True when an active consent was removed. */
  remove(consentId: string): boolean {
    const consent = this.byId.get(consentId);
    if (!consent) return false;
    this.byId.delete(consentId);
    const ids = this.byPerson.get(consent.idNumber);
    ids?.delete(consentId);
    if (ids?.size === 0) this.byPerson.delete(consent.idNumber);
    return true;
  }

  activeFor(idNumber: string): string[] {
    return [...(this.byPerson.get(idNumber) ?? [])];
  }
}
