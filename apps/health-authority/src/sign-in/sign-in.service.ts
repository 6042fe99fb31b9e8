import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DEFAULT_REDIRECT_URIS, type AuthorityConfig } from '../config';
import { AuthorityClock } from '../common/clock';
import { ApiError, malformed } from '../common/errors';
import { AUTHORITY_CONFIG, LOGGER } from '../common/tokens';
import { ConsentStore } from '../consents/consent-store';
import { PersonStore } from '../persons/person-store';
import { GrantStore } from './grant-store';
import type {
  AuthorizeQueryDto,
  CardHolderDto,
  SignInFormDto,
  TokenRequestDto,
  TokenResponseDto,
} from './sign-in.dto';

export type SignInOutcome =
  { kind: 'redirect'; location: string } | { kind: 'refused' } | { kind: 'locked' };

/** The one grantee the stand-in knows; it authenticates its exchanges with the API key. */
export const METRO_CLIENT = 'metro';
const CONSENT_PURPOSE = 'one-code-ride';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** Wrong passcodes a number may take in a window before sign-in as it waits the window out. */
export const SIGN_IN_FAILURES_MAX = 5;
export const SIGN_IN_FAILURE_WINDOW_MS = 15 * 60_000;

const invalidGrant = () =>
  new ApiError(
    HttpStatus.BAD_REQUEST,
    'INVALID_GRANT',
    'the code is unknown, used, expired, or was issued for another redirect or verifier',
  );

const sha256url = (s: string): string => createHash('sha256').update(s).digest('base64url');

/**
 * Sign-in at the authority, as the city's health-code app does it: the person proves who they
 * are here, and only here; the metro learns the result through a one-time code it exchanges
 * server to server. A consent exists only because the person signed in and asked for it.
 */
@Injectable()
export class SignInService {
  private readonly redirects: URL[];
  /** Recent failed sign-ins per ID number (epoch ms), so a known number's passcode cannot be guessed. */
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly persons: PersonStore,
    private readonly consents: ConsentStore,
    private readonly grants: GrantStore,
    private readonly clock: AuthorityClock,
    @Inject(AUTHORITY_CONFIG) config: AuthorityConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.redirects = (config.redirectUris ?? DEFAULT_REDIRECT_URIS).map((u) => new URL(u));
  }

  /** Refused outright (never redirected) when the client or redirect is not registered. */
  check(q: AuthorizeQueryDto): void {
    if (q.client_id !== METRO_CLIENT) throw malformed('client_id is not a registered client');
    if (!this.registered(q.redirect_uri))
      throw malformed('redirect_uri is not registered for this client');
  }

  /**
   * Where to send the person's browser; 'refused' when the ID number and passcode do not match,
   * 'locked' after SIGN_IN_FAILURES_MAX wrong passcodes for the number within the window.
   */
  signIn(form: SignInFormDto): SignInOutcome {
    this.check(form);
    const now = this.clock.now();
    const recent = (this.failures.get(form.idNumber) ?? []).filter(
      (at) => at > now - SIGN_IN_FAILURE_WINDOW_MS,
    );
    if (recent.length >= SIGN_IN_FAILURES_MAX) {
      this.log.info('sign-in locked');
      return { kind: 'locked' };
    }
    const person = this.persons.authenticate(form.idNumber, form.passcode);
    if (!person) {
      this.failures.set(form.idNumber, [...recent, now]);
      this.log.info('sign-in refused');
      return { kind: 'refused' };
    }
    this.failures.delete(form.idNumber);
    const code = this.grants.issue({
      idNumber: person.idNumber,
      clientId: form.client_id,
      redirectUri: form.redirect_uri,
      codeChallenge: form.code_challenge,
      scope: form.scope,
    });
    this.log.info({ scope: form.scope }, 'sign-in granted a code');
    const back = new URL(form.redirect_uri);
    back.searchParams.set('code', code);
    back.searchParams.set('state', form.state);
    return { kind: 'redirect', location: back.toString() };
  }

  exchange(req: TokenRequestDto): TokenResponseDto {
    const grant = this.grants.take(req.code);
    if (
      !grant ||
      grant.clientId !== req.clientId ||
      grant.redirectUri !== req.redirectUri ||
      !timingSafeEqual(Buffer.from(sha256url(req.codeVerifier)), Buffer.from(grant.codeChallenge))
    )
      throw invalidGrant();
    const person = this.persons.get(grant.idNumber);
    if (!person) throw invalidGrant();
    const consentId =
      grant.scope === 'identity health-status'
        ? this.consents.add(person.idNumber, grant.clientId, CONSENT_PURPOSE).consentId
        : null;
    this.log.info({ scope: grant.scope }, 'code exchanged');
    return { idNumber: person.idNumber, scope: grant.scope, consentId };
  }

  cardHolder(cardNo: string): CardHolderDto {
    const holderIdNumber = this.persons.cardHolder(cardNo);
    if (holderIdNumber === undefined)
      throw new ApiError(HttpStatus.NOT_FOUND, 'NOT_FOUND', 'no real-name card with this number');
    return { cardNo, holderIdNumber };
  }

  private registered(uri: string): boolean {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return false;
    }
    return this.redirects.some((r) =>
      r.protocol === 'http:' && LOOPBACK.has(r.hostname)
        ? url.protocol === 'http:' &&
          url.hostname === r.hostname &&
          url.pathname === r.pathname &&
          url.search === r.search &&
          url.hash === '' &&
          url.username === '' &&
          url.password === ''
        : url.href === r.href,
    );
  }
}
