/** HTTP clients for the health-authority stand-in and the gateway's rider API. */

export class HttpError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${url} -> ${status}: ${body.slice(0, 500)}`);
    this.name = 'HttpError';
  }
}

/** The server could not be reached at all (refused, reset, timed out). */
export class UnreachableError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    cause: unknown,
  ) {
    const detail =
      cause instanceof Error
        ? ((cause.cause as Error | undefined)?.message ?? cause.message)
        : String(cause);
    super(`${method} ${url} unreachable: ${detail}`);
    this.name = 'UnreachableError';
  }
}

export interface RequestInfo {
  method: string;
  path: string;
}

const REQUEST_TIMEOUT_MS = 15_000;

async function send<T>(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<T> {
  const url = `${baseUrl.replace(/\/+$/, '')}${path}`;
  const init: RequestInit = {
    method,
    headers: { accept: 'application/json', ...headers },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    throw new UnreachableError(method, url, err);
  }
  const text = await res.text();
  if (!res.ok) throw new HttpError(method, url, res.status, text);
  if (text.length === 0) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    return text as T;
  }
}

const enc = encodeURIComponent;

export type Colour = 'green' | 'yellow' | 'red';

export interface NewPerson {
  idNumber: string;
  name: string;
  /** YYYY-MM-DD */
  birthDate: string;
  disabled?: boolean;
  /** What the person signs in at the authority with; SIM_PASSCODE by default. */
  passcode?: string;
}

/** The simulated people's sign-in passcode at the authority stand-in. */
export const SIM_PASSCODE = 'gate-sim-passcode';

/**
 * The person signs in on the authority's own page (as in a browser: the form, then the redirect
 * back to the rider screen, not followed); returns what the redirect carried.
 */
export async function signInAtAuthority(
  authorizeUrl: string,
  idNumber: string,
  passcode: string,
): Promise<{ code: string; state: string }> {
  const url = new URL(authorizeUrl);
  const form = new URLSearchParams(url.searchParams);
  form.set('idNumber', idNumber);
  form.set('passcode', passcode);
  const target = `${url.origin}${url.pathname}`;
  let res: Response;
  try {
    res = await fetch(target, {
      method: 'POST',
      body: form,
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new UnreachableError('POST', target, err);
  }
  const location = res.headers.get('location');
  if (res.status !== 303 || location === null)
    throw new HttpError('POST', target, res.status, 'sign-in refused');
  const back = new URL(location);
  return { code: back.searchParams.get('code') ?? '', state: back.searchParams.get('state') ?? '' };
}

/** The city health-code service stand-in; every call carries `x-api-key`. */
export class AuthorityClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return send<T>(this.baseUrl, method, path, { 'x-api-key': this.apiKey }, body);
  }

  createPerson(person: NewPerson): Promise<{ personId: string }> {
    return this.call('POST', '/v1/persons', {
      ...person,
      passcode: person.passcode ?? SIM_PASSCODE,
    });
  }

  /** The card registry's real-name record: the card is held by this person. */
  registerCard(idNumber: string, cardNo: string): Promise<unknown> {
    return this.call('PUT', `/v1/persons/${enc(idNumber)}/cards/${enc(cardNo)}`);
  }

  setColour(idNumber: string, colour: Colour): Promise<unknown> {
    return this.call('PUT', `/v1/persons/${enc(idNumber)}/colour`, { colour });
  }

  /** `sampledAt`: ISO instant with its offset. */
  addTest(idNumber: string, sampledAt: string, result: 'negative' | 'positive'): Promise<unknown> {
    return this.call('POST', `/v1/persons/${enc(idNumber)}/tests`, { sampledAt, result });
  }

  /** A paper offline code (离线随申码); supersedes the holder's previous one. */
  issueOfflineCode(idNumber: string): Promise<{ code: string; validUntil: string }> {
    return this.call('POST', `/v1/persons/${enc(idNumber)}/offline-codes`);
  }

  /** The person's own dynamic health code (随申码), as the app shows it now (60 s). */
  issueHealthCode(idNumber: string): Promise<{ code: string; validUntil: string }> {
    return this.call('POST', `/v1/persons/${enc(idNumber)}/health-codes`);
  }

  /** A relative's code (亲属随申码) the guardian holds for the dependant. */
  addRelative(
    guardianIdNumber: string,
    dependantIdNumber: string,
  ): Promise<{ relativeCode: string }> {
    return this.call('POST', `/v1/persons/${enc(guardianIdNumber)}/relatives`, {
      dependantIdNumber,
    });
  }

  health(): Promise<unknown> {
    return send(this.baseUrl, 'GET', '/health', {});
  }
}

/** Who a gateway call is made as; the token hook turns it into a bearer token. */
export interface Caller {
  role: 'rider' | 'staff' | 'operator' | 'authority';
  sub: string;
  station?: string;
}

export interface GatewayClientOptions {
  /** Bearer token for a caller, or undefined to send none. The one place gateway auth is added. */
  token?: (caller: Caller) => Promise<string | undefined>;
}

/** The gateway's HTTP API. All gateway HTTP of the simulator goes through `request`. */
export class GatewayClient {
  constructor(
    readonly baseUrl: string,
    private readonly opts: GatewayClientOptions = {},
  ) {}

  async request<T>(
    caller: Caller | null,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T> {
    const token = caller ? await this.opts.token?.(caller) : undefined;
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    return send<T>(this.baseUrl, method, path, headers, body);
  }

  /** The person signs in at the authority for this account; the gateway gets only the code. */
  async proveIdentity(
    riderId: string,
    purpose: 'register' | 'authorize',
    idNumber: string,
    passcode: string,
  ): Promise<{ code: string; state: string }> {
    const { authorizeUrl } = await this.request<{ authorizeUrl: string }>(
      rider(riderId),
      'POST',
      `/riders/${enc(riderId)}/identity-proofs`,
      { purpose },
    );
    return signInAtAuthority(authorizeUrl, idNumber, passcode);
  }

  /** The rider id is the app account's id: the subject of the rider's token. */
  async registerRider(
    riderId: string,
    idNumber: string,
    { passcode = SIM_PASSCODE }: { passcode?: string } = {},
  ): Promise<{ riderId: string }> {
    const proof = await this.proveIdentity(riderId, 'register', idNumber, passcode);
    return this.request(rider(riderId), 'POST', '/riders', proof);
  }

  async authorize(
    riderId: string,
    idNumber: string,
    { passcode = SIM_PASSCODE }: { passcode?: string } = {},
  ): Promise<{ authorized: boolean }> {
    const proof = await this.proveIdentity(riderId, 'authorize', idNumber, passcode);
    return this.request(rider(riderId), 'POST', `/riders/${enc(riderId)}/authorization`, proof);
  }

  revoke(riderId: string): Promise<void> {
    return this.request(rider(riderId), 'DELETE', `/riders/${enc(riderId)}/authorization`);
  }

  status(riderId: string): Promise<unknown> {
    return this.request(rider(riderId), 'GET', `/riders/${enc(riderId)}/status`);
  }

  /** A fresh riding code; it lives 60 s, so mint it just before the tap. */
  mintRideCode(riderId: string): Promise<{ code: string; expiresAt: string }> {
    return this.request(rider(riderId), 'POST', `/riders/${enc(riderId)}/ride-code`);
  }

  health(): Promise<unknown> {
    return this.request(null, 'GET', '/health');
  }
}

const rider = (sub: string): Caller => ({ role: 'rider', sub });
