import request from 'supertest';
import type { Colour } from '@app/decision';
import { formatShanghai } from '@app/protocol';
import { randomUUID } from 'node:crypto';
import { AUTHORITY_KEY, bearer, randomIdNumber } from './stack';

const HOUR = 3_600_000;

/** Every test person signs in at the authority with this; attackers in tests do not know it. */
export const TEST_PASSCODE = 'test-passcode-0';

export interface PersonSpec {
  colour?: Colour;
  /** Sampling times of negative tests, as epoch ms; none by default. */
  negativeTestsAt?: number[];
  birthYear?: number;
  name?: string;
}

/** A person known to the health authority, with a status of our choosing. */
export async function person(authorityUrl: string, spec: PersonSpec = {}): Promise<string> {
  const api = request(authorityUrl);
  let idNumber = randomIdNumber({ birthYear: spec.birthYear });
  // Random numbers can collide; the authority says so with a 409, and we draw again.
  for (;;) {
    const res = await api
      .post('/v1/persons')
      .set('x-api-key', AUTHORITY_KEY)
      .send({
        idNumber,
        name: spec.name ?? '测试乘客',
        birthDate: birthDateOf(idNumber),
        passcode: TEST_PASSCODE,
      });
    if (res.status === 201) break;
    if (res.status !== 409) throw new Error(`authority: ${res.status} ${res.text}`);
    idNumber = randomIdNumber({ birthYear: spec.birthYear });
  }
  if (spec.colour && spec.colour !== 'green') {
    await api
      .put(`/v1/persons/${idNumber}/colour`)
      .set('x-api-key', AUTHORITY_KEY)
      .send({ colour: spec.colour })
      .expect(204);
  }
  for (const at of spec.negativeTestsAt ?? []) {
    await api
      .post(`/v1/persons/${idNumber}/tests`)
      .set('x-api-key', AUTHORITY_KEY)
      .send({ sampledAt: formatShanghai(at), result: 'negative' })
      .expect(201);
  }
  return idNumber;
}

export interface RiderSpec extends PersonSpec {
  authorized?: boolean;
}

export interface TestRider {
  riderId: string;
  idNumber: string;
}

export interface SignInResult {
  code: string;
  state: string;
}

/**
 * The rider's sign-in at the authority, as the rider screen drives it: the gateway names the
 * authority's page, the person signs in there, and the authority redirects back with a code.
 */
export async function proveIdentity(
  gatewayUrl: string,
  riderId: string,
  idNumber: string,
  purpose: 'register' | 'authorize',
  passcode = TEST_PASSCODE,
): Promise<SignInResult> {
  const started = await request(gatewayUrl)
    .post(`/riders/${riderId}/identity-proofs`)
    .set(await asRider(riderId))
    .send({ purpose })
    .expect(201);
  return signIn((started.body as { authorizeUrl: string }).authorizeUrl, idNumber, passcode);
}

/** Submits the authority's sign-in form for an authorize URL; throws unless it redirects back. */
export async function signIn(
  authorizeUrl: string,
  idNumber: string,
  passcode = TEST_PASSCODE,
): Promise<SignInResult> {
  const url = new URL(authorizeUrl);
  const res = await request(url.origin)
    .post(url.pathname)
    .type('form')
    .send({ ...Object.fromEntries(url.searchParams), idNumber, passcode });
  if (res.status !== 303) throw new Error(`sign-in refused: ${res.status}`);
  const back = new URL(res.headers.location);
  return { code: back.searchParams.get('code') ?? '', state: back.searchParams.get('state') ?? '' };
}

/** Registered at the gateway as the person who signed in (and, by default, authorized). */
export async function rider(
  gatewayUrl: string,
  authorityUrl: string,
  spec: RiderSpec = {},
): Promise<TestRider> {
  const idNumber = await person(authorityUrl, spec);
  const riderId = randomUUID();
  await registerAs(gatewayUrl, riderId, idNumber);
  if (spec.authorized !== false) await authorizeAs(gatewayUrl, riderId, idNumber);
  return { riderId, idNumber };
}

export async function registerAs(
  gatewayUrl: string,
  riderId: string,
  idNumber: string,
): Promise<void> {
  const proof = await proveIdentity(gatewayUrl, riderId, idNumber, 'register');
  await request(gatewayUrl)
    .post('/riders')
    .set(await asRider(riderId))
    .send(proof)
    .expect(201);
}

export async function authorizeAs(
  gatewayUrl: string,
  riderId: string,
  idNumber: string,
): Promise<void> {
  const proof = await proveIdentity(gatewayUrl, riderId, idNumber, 'authorize');
  await request(gatewayUrl)
    .post(`/riders/${riderId}/authorization`)
    .set(await asRider(riderId))
    .send(proof)
    .expect(201);
}

/** The card registry's real-name record: this card is held by this person. */
export async function realNameCard(
  authorityUrl: string,
  idNumber: string,
  cardNo: string,
): Promise<void> {
  await request(authorityUrl)
    .put(`/v1/persons/${idNumber}/cards/${cardNo}`)
    .set('x-api-key', AUTHORITY_KEY)
    .expect(204);
}

/** A healthy rider: green, negative test sampled `hoursAgo` before `now`. */
export const healthy = (now: number, hoursAgo = 5): RiderSpec => ({
  colour: 'green',
  negativeTestsAt: [now - hoursAgo * HOUR],
});

export async function rideCode(gatewayUrl: string, riderId: string): Promise<string> {
  const res = await request(gatewayUrl)
    .post(`/riders/${riderId}/ride-code`)
    .set(await asRider(riderId))
    .expect(201);
  return (res.body as { code: string }).code;
}

export const asRider = (riderId: string) => bearer({ sub: riderId, role: 'rider' });

const birthDateOf = (idNumber: string): string =>
  `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`;

/** A fresh dynamic 随申码 from the person's health-code app (valid 60 s, supersedes the last). */
export async function healthCode(authorityUrl: string, idNumber: string): Promise<string> {
  const res = await request(authorityUrl)
    .post(`/v1/persons/${idNumber}/health-codes`)
    .set('x-api-key', AUTHORITY_KEY)
    .expect(201);
  return (res.body as { code: string }).code;
}
