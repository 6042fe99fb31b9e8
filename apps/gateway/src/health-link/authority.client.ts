import * as http from 'node:http';
import * as https from 'node:https';
import { Inject, Injectable } from '@nestjs/common';
import type { Colour, HealthFacts } from '@app/decision';
import { parseInstant } from '@app/protocol';
import { AppError } from '../common/errors';
import type { GatewayConfig } from '../config';
import { CONFIG } from '../common/tokens';

/** What the authority returns for a consent; shown to the rider, never stored. */
export interface AuthorityStatus extends AuthorityHealth {
  latestTest: { sampledAt: string; result: 'negative' | 'positive' } | null;
}

export function toFacts(s: AuthorityHealth): HealthFacts {
  return {
    colour: s.colour,
    latestNegativeSampledAt:
      s.latestNegativeSampledAt === null ? null : parseInstant(s.latestNegativeSampledAt),
  };
}

/** A status as the code and lookup endpoints return it; shown or decided on, never stored. */
export interface AuthorityHealth {
  colour: Colour;
  latestNegativeSampledAt: string | null;
}

export type OfflineCodeStatus = 'valid' | 'superseded' | 'expired' | 'unknown';

export interface OfflineCodeVerification {
  status: OfflineCodeStatus;
  belongsToIdNumber: boolean | null;
  health: AuthorityHealth | null;
}

export interface RelativeCodeVerification {
  status: 'valid' | 'unknown';
  dependantIdNumber: string | null;
  health: AuthorityHealth | null;
}

export type ElderlyChildLookup =
  { kind: 'found'; health: AuthorityStatus } | { kind: 'not-eligible' } | { kind: 'not-found' };

interface Answer {
  status: number;
  ok: boolean;
  text: string;
}

/** HTTP client for the city health-code service. */
@Injectable()
export class AuthorityClient {
  private readonly base: string;

  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;

  constructor(@Inject(CONFIG) private readonly config: GatewayConfig) {
    this.base = config.authorityUrl.replace(/\/$/, '');
    const tls = this.base.startsWith('https:');
    this.transport = tls ? https : http;
    this.agent = new (tls ? https.Agent : http.Agent)({ keepAlive: true, maxSockets: 32 });
  }

  async createConsent(idNumber: string): Promise<string> {
    const res = await this.call(
      'POST',
      '/v1/consents',
      { idNumber, grantee: 'metro', purpose: 'metro-ride' },
      5_000,
    );
    if (res.status === 404)
      throw new AppError(
        'AUTHORITY_REFUSED',
        'the health-code service has no record of this ID number',
      );
    return (this.json(res) as { consentId: string }).consentId;
  }

  async revokeConsent(consentId: string): Promise<void> {
    const res = await this.call(
      'DELETE',
      `/v1/consents/${encodeURIComponent(consentId)}`,
      undefined,
      5_000,
    );
    if (!res.ok && res.status !== 404) throw this.unavailable(res.status);
  }

  async status(consentId: string, timeoutMs: number): Promise<AuthorityStatus | null> {
    const res = await this.call(
      'GET',
      `/v1/consents/${encodeURIComponent(consentId)}/status`,
      undefined,
      timeoutMs,
    );
    if (res.status === 404) return null;
    return this.json(res) as AuthorityStatus;
  }

  /** One request for many consents: lookups under load are coalesced into these. */
  async statusBatch(
    consentIds: string[],
    timeoutMs: number,
  ): Promise<Record<string, AuthorityStatus | null>> {
    const res = await this.call('POST', '/v1/consents/status:batch', { consentIds }, timeoutMs);
    return (this.json(res) as { statuses: Record<string, AuthorityStatus | null> }).statuses;
  }

  async verifyOfflineCode(
    code: string,
    idNumber: string | undefined,
    timeoutMs: number,
  ): Promise<OfflineCodeVerification> {
    const res = await this.call('POST', '/v1/offline-codes/verify', { code, idNumber }, timeoutMs);
    return this.json(res) as OfflineCodeVerification;
  }

  async verifyRelativeCode(code: string, timeoutMs: number): Promise<RelativeCodeVerification> {
    const res = await this.call('POST', '/v1/relative-codes/verify', { code }, timeoutMs);
    return this.json(res) as RelativeCodeVerification;
  }

  /** Null when the authority has no such person. */
  async lookupIdNumber(
    idNumber: string,
    purpose: 'digital-sentinel' | 'staff-desk',
    timeoutMs: number,
  ): Promise<AuthorityHealth | null> {
    const res = await this.call('POST', '/v1/lookups/id-number', { idNumber, purpose }, timeoutMs);
    const body = this.json(res) as { found: boolean; health: AuthorityHealth | null };
    return body.found ? body.health : null;
  }

  /** 老幼核酸助查: only for those under 18 or 60 and over. */
  async lookupElderlyChild(
    idNumber: string,
    name: string,
    timeoutMs: number,
  ): Promise<ElderlyChildLookup> {
    const res = await this.call('POST', '/v1/lookups/elderly-child', { idNumber, name }, timeoutMs);
    if (res.status === 422) return { kind: 'not-eligible' };
    if (res.status === 404) return { kind: 'not-found' };
    const body = this.json(res) as { health: AuthorityStatus };
    return { kind: 'found', health: body.health };
  }

  /**
   * node:http with a keep-alive agent rather than fetch: on the tap path the WHATWG objects
   * fetch builds per request cost more CPU than the lookup itself.
   */
  private call(method: string, path: string, body: unknown, timeoutMs: number): Promise<Answer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = this.transport.request(
        this.base + path,
        {
          method,
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            'x-api-key': this.config.authorityApiKey,
            ...(payload === undefined ? {} : { 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            clearTimeout(timer);
            const status = res.statusCode ?? 0;
            resolve({
              status,
              ok: status >= 200 && status < 300,
              text: Buffer.concat(chunks).toString(),
            });
          });
          res.on('error', fail);
        },
      );
      const timer = setTimeout(() => req.destroy(new Error('timeout')), timeoutMs);
      function fail(): void {
        clearTimeout(timer);
        reject(
          new AppError('AUTHORITY_UNAVAILABLE', 'the health-code service did not answer in time'),
        );
      }
      req.on('error', fail);
      req.end(payload);
    });
  }

  private json(res: Answer): unknown {
    if (!res.ok) throw this.unavailable(res.status);
    return JSON.parse(res.text) as unknown;
  }

  private unavailable(status: number): AppError {
    return new AppError('AUTHORITY_UNAVAILABLE', `the health-code service answered ${status}`);
  }
}
