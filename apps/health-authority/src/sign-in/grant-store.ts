import { randomBytes } from 'node:crypto';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { AuthorityClock } from '../common/clock';
import type { Scope } from './sign-in.dto';

/** RFC 6749 10.5: codes are short-lived (a minute here) and used once. */
export const CODE_TTL_MS = 60_000;

export interface Grant {
  readonly idNumber: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly scope: Scope;
  readonly expiresAt: number;
}

/** Authorization codes waiting for their exchange; taking one deletes it. */
@Injectable()
export class GrantStore implements OnModuleDestroy {
  private readonly byCode = new Map<string, Grant>();
  private readonly sweeper = setInterval(() => this.sweep(), CODE_TTL_MS).unref();

  constructor(private readonly clock: AuthorityClock) {}

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  issue(grant: Omit<Grant, 'expiresAt'>): string {
    const code = randomBytes(32).toString('base64url');
    this.byCode.set(code, { ...grant, expiresAt: this.clock.now() + CODE_TTL_MS });
    return code;
  }

  /** The grant, once: a second exchange of the same code finds nothing. */
  take(code: string): Grant | undefined {
    const grant = this.byCode.get(code);
    this.byCode.delete(code);
    return grant && this.clock.now() < grant.expiresAt ? grant : undefined;
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [code, g] of this.byCode) if (g.expiresAt <= now) this.byCode.delete(code);
  }
}
