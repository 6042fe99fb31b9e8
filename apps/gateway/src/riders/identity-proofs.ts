import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AppError } from '../common/errors';
import type { Clock } from '../common/clock';
import { CLOCK, CONFIG } from '../common/tokens';
import type { GatewayConfig } from '../config';
import { AuthorityClient } from '../health-link/authority.client';
import { hashIdNumber } from './id-hash';

export type ProofPurpose = 'register' | 'authorize';

/** A rider has this long from asking to sign in until the code comes back. */
const STATE_TTL_MS = 10 * 60_000;

const SCOPE: Record<ProofPurpose, string> = {
  register: 'identity',
  authorize: 'identity health-status',
};

interface StateClaims {
  r: string;
  p: ProofPurpose;
  e: number;
  n: string;
}

/** What the metro keeps of a proved person: the keyed hash, and the consent if one was granted. */
export interface ProvedIdentity {
  idHash: Buffer;
  /** The hash under ID_HASH_KEY_PREVIOUS during a rotation, to find riders not yet moved. */
  previousIdHash: Buffer | null;
  consentId: string | null;
}

const invalid = (why: string) => new AppError('IDENTITY_PROOF_INVALID', why);
const b64 = (b: Buffer): string => b.toString('base64url');

/**
 * Identity is proved at the health authority, never typed here. The rider is sent to the
 * authority's sign-in page with a `state` that binds the attempt to their account and purpose,
 * and a PKCE challenge; the code that comes back is exchanged server to server, with the
 * verifier only this gateway can derive. Stateless, so any instance can complete any attempt:
 * the state is MACed, the verifier is a MAC of the state, and the authority spends the code once.
 */
@Injectable()
export class IdentityProofs {
  private readonly key: Buffer;

  constructor(
    private readonly authority: AuthorityClient,
    private readonly adapter: HttpAdapterHost,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.key = Buffer.from(
      hkdfSync('sha256', config.idHashKey, Buffer.alloc(0), 'identity-proof-state', 32),
    );
  }

  start(riderId: string, purpose: ProofPurpose): { authorizeUrl: string; state: string } {
    const claims: StateClaims = {
      r: riderId,
      p: purpose,
      e: this.clock.now() + STATE_TTL_MS,
      n: b64(randomBytes(12)),
    };
    const body = b64(Buffer.from(JSON.stringify(claims)));
    const state = `${body}.${b64(this.mac(`state:${body}`))}`;
    const url = new URL(`${this.config.authorityPublicUrl.replace(/\/$/, '')}/oauth/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: 'metro',
      redirect_uri: this.redirectUri(),
      scope: SCOPE[purpose],
      state,
      code_challenge: b64(createHash('sha256').update(this.verifier(state)).digest()),
      code_challenge_method: 'S256',
    }).toString();
    return { authorizeUrl: url.toString(), state };
  }

  /** The person who signed in for this rider and purpose; refused for any other state. */
  async complete(
    riderId: string,
    purpose: ProofPurpose,
    code: string,
    state: string,
  ): Promise<ProvedIdentity> {
    this.checkState(riderId, purpose, state);
    const person = await this.authority.exchangeCode(
      code,
      this.redirectUri(),
      this.verifier(state),
    );
    if (person === null)
      throw invalid('the health-code service refused the code: it is used, expired or not ours');
    const previousKey = this.config.idHashKeyPrevious;
    return {
      idHash: hashIdNumber(this.config.idHashKey, person.idNumber),
      previousIdHash: previousKey === null ? null : hashIdNumber(previousKey, person.idNumber),
      consentId: person.consentId,
    };
  }

  private checkState(riderId: string, purpose: ProofPurpose, state: string): void {
    const [body, mac, extra] = state.split('.');
    if (extra !== undefined || !body || !mac) throw invalid('state is not one this gateway issued');
    const expected = this.mac(`state:${body}`);
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw invalid('state is not one this gateway issued');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as StateClaims;
    if (claims.r !== riderId) throw invalid('this sign-in was started for another account');
    if (claims.p !== purpose) throw invalid(`this sign-in was started to ${claims.p}`);
    if (this.clock.now() >= claims.e) throw invalid('this sign-in has expired; start again');
  }

  private verifier(state: string): string {
    return b64(this.mac(`pkce:${state}`));
  }

  private mac(text: string): Buffer {
    return createHmac('sha256', this.key).update(text).digest();
  }

  private redirectUri(): string {
    if (this.config.riderRedirectUri !== null) return this.config.riderRedirectUri;
    const address = this.adapter.httpAdapter.getHttpServer().address() as AddressInfo | null;
    const port = address?.port ?? this.config.port;
    return `http://127.0.0.1:${port}/console/rider.html`;
  }
}

/** True when the stored hash is the current or (during a rotation) previous hash of the person. */
export function sameIdentity(
  stored: Buffer,
  proved: ProvedIdentity,
): 'current' | 'previous' | null {
  if (timingSafeEqual(stored, proved.idHash)) return 'current';
  if (proved.previousIdHash !== null && timingSafeEqual(stored, proved.previousIdHash))
    return 'previous';
  return null;
}
