import { COLOURS, type Colour } from '@app/decision';
import { parseInstant } from '@app/protocol';
import { AppError } from '../common/errors';

/*
 * The authority's answers are checked like gate messages before anything reads them: a body that
 * is not JSON, or not the shape we expect, is AUTHORITY_UNAVAILABLE. The error never quotes the
 * body (JSON.parse's message does, and a body can hold health values or an ID number): it names
 * the endpoint and the field only. Fields we do not know are ignored, as the protocol's are.
 */

export interface AuthorityHealth {
  colour: Colour;
  latestNegativeSampledAt: string | null;
}

export interface AuthorityStatus extends AuthorityHealth {
  latestTest: { sampledAt: string; result: 'negative' | 'positive' } | null;
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

/** A person's own dynamic 随申码, as the authority verifies it; who and how only when valid. */
export interface HealthCodeVerification {
  status: 'valid' | 'expired' | 'invalid';
  idNumber: string | null;
  health: AuthorityHealth | null;
}

/** Who signed in at the authority; the ID number is hashed at once and never kept. */
export interface SignedInPerson {
  idNumber: string;
  scope: 'identity' | 'identity health-status';
  consentId: string | null;
}

const ID_NUMBER = /^[0-9]{17}[0-9X]$/;
const OPAQUE_ID = /^[A-Za-z0-9_-]{1,64}$/;

type Obj = Record<string, unknown>;

/** What went wrong, by endpoint and field, never by value. */
export function malformedAnswer(what: string, field?: string): AppError {
  return new AppError(
    'AUTHORITY_UNAVAILABLE',
    `the health-code service answered ${what} with a malformed body${field ? ` (${field})` : ''}`,
  );
}

/** JSON.parse without its message: "Unexpected token … in JSON" quotes the input. */
export function parseBody(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformedAnswer(what, 'not JSON');
  }
}

class Reader {
  constructor(readonly what: string) {}

  fail(field: string): never {
    throw malformedAnswer(this.what, field);
  }

  object(x: unknown, field: string): Obj {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) this.fail(field);
    return x as Obj;
  }

  instant(x: unknown, field: string): string {
    if (typeof x !== 'string' || x.length > 64 || parseInstant(x) === null) this.fail(field);
    return x;
  }

  nullable<T>(x: unknown, read: (v: unknown) => T): T | null {
    return x === null ? null : read(x);
  }

  oneOf<T extends string>(x: unknown, values: readonly T[], field: string): T {
    if (typeof x !== 'string' || !(values as readonly string[]).includes(x)) this.fail(field);
    return x as T;
  }

  matching(x: unknown, re: RegExp, field: string): string {
    if (typeof x !== 'string' || !re.test(x)) this.fail(field);
    return x;
  }

  health(x: unknown, field = 'health'): AuthorityHealth {
    const o = this.object(x, field);
    return {
      colour: this.oneOf(o.colour, COLOURS, `${field}.colour`),
      latestNegativeSampledAt: this.nullable(o.latestNegativeSampledAt, (v) =>
        this.instant(v, `${field}.latestNegativeSampledAt`),
      ),
    };
  }

  status(x: unknown, field = 'status'): AuthorityStatus {
    const o = this.object(x, field);
    return {
      ...this.health(o, field),
      latestTest: this.nullable(o.latestTest, (v) => {
        const t = this.object(v, `${field}.latestTest`);
        return {
          sampledAt: this.instant(t.sampledAt, `${field}.latestTest.sampledAt`),
          result: this.oneOf(t.result, ['negative', 'positive'], `${field}.latestTest.result`),
        };
      }),
    };
  }
}

export function readStatus(body: unknown): AuthorityStatus {
  return new Reader('a status read').status(body);
}

/** One entry per id asked for; an id missing from the answer is malformed, not "revoked". */
export function readStatusBatch(
  body: unknown,
  ids: readonly string[],
): Map<string, AuthorityStatus | null> {
  const r = new Reader('a batch status read');
  const statuses = r.object(r.object(body, 'body').statuses, 'statuses');
  return new Map(
    ids.map((id) => {
      if (!Object.prototype.hasOwnProperty.call(statuses, id)) r.fail('statuses: an id is missing');
      return [id, r.nullable(statuses[id], (v) => r.status(v, 'statuses[]'))];
    }),
  );
}

export function readOfflineVerification(body: unknown): OfflineCodeVerification {
  const r = new Reader('an offline-code verification');
  const o = r.object(body, 'body');
  const belongs = o.belongsToIdNumber;
  if (belongs !== null && typeof belongs !== 'boolean') return r.fail('belongsToIdNumber');
  return {
    status: r.oneOf(o.status, ['valid', 'superseded', 'expired', 'unknown'], 'status'),
    belongsToIdNumber: belongs,
    health: r.nullable(o.health, (v) => r.health(v)),
  };
}

export function readRelativeVerification(body: unknown): RelativeCodeVerification {
  const r = new Reader("a relative's-code verification");
  const o = r.object(body, 'body');
  return {
    status: r.oneOf(o.status, ['valid', 'unknown'], 'status'),
    dependantIdNumber: r.nullable(o.dependantIdNumber, (v) =>
      r.matching(v, ID_NUMBER, 'dependantIdNumber'),
    ),
    health: r.nullable(o.health, (v) => r.health(v)),
  };
}

export function readIdLookup(body: unknown): AuthorityHealth | null {
  const r = new Reader('an ID-number lookup');
  const o = r.object(body, 'body');
  if (typeof o.found !== 'boolean') r.fail('found');
  return o.found ? r.health(o.health) : null;
}

export function readElderlyChild(body: unknown): AuthorityStatus {
  const r = new Reader('an elderly/child lookup');
  return r.status(r.object(body, 'body').health, 'health');
}

export function readHealthCodeVerification(body: unknown): HealthCodeVerification {
  const r = new Reader('a health-code verification');
  const o = r.object(body, 'body');
  const status = r.oneOf(o.status, ['valid', 'expired', 'invalid'], 'status');
  if (status !== 'valid') return { status, idNumber: null, health: null };
  return {
    status,
    idNumber: r.matching(o.idNumber, ID_NUMBER, 'idNumber'),
    health: r.health(o.health),
  };
}

export function readSignedIn(body: unknown): SignedInPerson {
  const r = new Reader('a code exchange');
  const o = r.object(body, 'body');
  const scope = r.oneOf(o.scope, ['identity', 'identity health-status'], 'scope');
  const consentId = r.nullable(o.consentId, (v) => r.matching(v, OPAQUE_ID, 'consentId'));
  if ((scope === 'identity health-status') !== (consentId !== null)) r.fail('consentId');
  return { idNumber: r.matching(o.idNumber, ID_NUMBER, 'idNumber'), scope, consentId };
}

export function readCardHolder(body: unknown): string {
  const r = new Reader('a real-name card read');
  return r.matching(r.object(body, 'body').holderIdNumber, ID_NUMBER, 'holderIdNumber');
}
