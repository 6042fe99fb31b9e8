import * as http from 'node:http';
import * as https from 'node:https';
import { Inject, Injectable } from '@nestjs/common';
import type { HealthFacts } from '@app/decision';
import { parseInstant } from '@app/protocol';
import { AppError } from '../common/errors';
import {
  parseBody,
  readCardHolder,
  readElderlyChild,
  readHealthCodeVerification,
  readIdLookup,
  readOfflineVerification,
  readRelativeVerification,
  readSignedIn,
  readStatus,
  readStatusBatch,
  type AuthorityHealth,
  type AuthorityStatus,
  type HealthCodeVerification,
  type OfflineCodeVerification,
  type RelativeCodeVerification,
  type SignedInPerson,
} from './authority-answers';

export type {
  AuthorityHealth,
  AuthorityStatus,
  HealthCodeVerification,
  OfflineCodeStatus,
  OfflineCodeVerification,
  RelativeCodeVerification,
  SignedInPerson,
} from './authority-answers';
import type { GatewayConfig } from '../config';
import { CONFIG } from '../common/tokens';

export function toFacts(s: AuthorityHealth): HealthFacts {
  return {
    colour: s.colour,
    latestNegativeSampledAt:
      s.latestNegativeSampledAt === null ? null : parseInstant(s.latestNegativeSampledAt),
  };
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

  /**
   * Exchanges a sign-in's one-time code (RFC 6749 4.1.3 with the PKCE verifier) for who signed
   * in and, when they granted it, a consent. Null when the authority refuses the code.
   */
  async exchangeCode(
    code: string,
    redirectUri: string,
    codeVerifier: string,
  ): Promise<SignedInPerson | null> {
    const res = await this.call(
      'POST',
      '/v1/oauth/token',
      { grantType: 'authorization_code', code, redirectUri, clientId: 'metro', codeVerifier },
      5_000,
    );
    if (res.status === 400) return null;
    return readSignedIn(this.body(res, 'a code exchange'));
  }

  /** The real-name holder's ID number; null when the card is not a real-name card. */
  async cardHolder(cardNo: string): Promise<string | null> {
    const res = await this.call(
      'GET',
      `/v1/real-name-cards/${encodeURIComponent(cardNo)}`,
      undefined,
      5_000,
    );
    if (res.status === 404) return null;
    return readCardHolder(this.body(res, 'a real-name card read'));
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
    return readStatus(this.body(res, 'a status read'));
  }

  /** One request for many consents: lookups under load are coalesced into these. */
  async statusBatch(
    consentIds: string[],
    timeoutMs: number,
  ): Promise<Record<string, AuthorityStatus | null>> {
    const res = await this.call('POST', '/v1/consents/status:batch', { consentIds }, timeoutMs);
    const statuses = readStatusBatch(this.body(res, 'a batch status read'), consentIds);
    // fromEntries defines own properties, so an id like "__proto__" stays a plain key.
    return Object.fromEntries(statuses);
  }

  async verifyOfflineCode(
    code: string,
    idNumber: string | undefined,
    timeoutMs: number,
  ): Promise<OfflineCodeVerification> {
    const res = await this.call('POST', '/v1/offline-codes/verify', { code, idNumber }, timeoutMs);
    return readOfflineVerification(this.body(res, 'an offline-code verification'));
  }

  async verifyRelativeCode(code: string, timeoutMs: number): Promise<RelativeCodeVerification> {
    const res = await this.call('POST', '/v1/relative-codes/verify', { code }, timeoutMs);
    return readRelativeVerification(this.body(res, "a relative's-code verification"));
  }

  /**
   * A person's own dynamic 随申码 (health code), as a sentinel reads it: whose it is and their
   * status, only while it is valid (60 s, superseded by the next refresh).
   */
  async verifyHealthCode(code: string, timeoutMs: number): Promise<HealthCodeVerification> {
    const res = await this.call('POST', '/v1/health-codes/verify', { code }, timeoutMs);
    return readHealthCodeVerification(this.body(res, 'a health-code verification'));
  }

  /** Null when the authority has no such person. */
  async lookupIdNumber(
    idNumber: string,
    purpose: 'digital-sentinel' | 'staff-desk',
    timeoutMs: number,
  ): Promise<AuthorityHealth | null> {
    const res = await this.call('POST', '/v1/lookups/id-number', { idNumber, purpose }, timeoutMs);
    return readIdLookup(this.body(res, 'an ID-number lookup'));
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
    return { kind: 'found', health: readElderlyChild(this.body(res, 'an elderly/child lookup')) };
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

  /** A 2xx body, parsed without quoting it in any error; each caller checks its shape. */
  private body(res: Answer, what: string): unknown {
    if (!res.ok) throw this.unavailable(res.status);
    return parseBody(res.text, what);
  }

  private unavailable(status: number): AppError {
    return new AppError('AUTHORITY_UNAVAILABLE', `the health-code service answered ${status}`);
  }
}
