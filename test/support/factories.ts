import request from 'supertest';
import type { Colour } from '@app/decision';
import { formatShanghai } from '@app/protocol';
import { randomUUID } from 'node:crypto';
import { AUTHORITY_KEY, bearer, randomIdNumber } from './stack';

const HOUR = 3_600_000;

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
      .send({ idNumber, name: spec.name ?? '测试乘客', birthDate: birthDateOf(idNumber) });
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

/** Registered at the gateway (and, by default, authorized for health linkage). */
export async function rider(
  gatewayUrl: string,
  authorityUrl: string,
  spec: RiderSpec = {},
): Promise<TestRider> {
  const idNumber = await person(authorityUrl, spec);
  const riderId = randomUUID();
  const auth = await asRider(riderId);
  await request(gatewayUrl)
    .post('/riders')
    .set(auth)
    .send({ name: spec.name ?? '测试乘客', idNumber })
    .expect(201);
  if (spec.authorized !== false) {
    await request(gatewayUrl)
      .post(`/riders/${riderId}/authorization`)
      .set(auth)
      .send({ idNumber })
      .expect(201);
  }
  return { riderId, idNumber };
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
