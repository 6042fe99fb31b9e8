import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { Client } from 'pg';
import { hashIdNumber } from '../../apps/gateway/src/riders/id-hash';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { asRider, person } from '../support/factories';
import {
  startAuthority,
  startTestGateway,
  testDatabaseUrl,
  type GatewayUnderTest,
} from '../support/stack';

const OLD_KEY = 'rotation-old-key-0123456789';
const NEW_KEY = 'rotation-new-key-9876543210';

/** ID_HASH_KEY rotation: riders hashed under the old key are still found, then re-hashed. */
describe('ID-number hash key rotation', () => {
  let authority: RunningAuthority;
  let before: GatewayUnderTest;
  let after: GatewayUnderTest;
  let db: Client;

  beforeAll(async () => {
    authority = await startAuthority();
    before = await startTestGateway(authority.url, { env: { ID_HASH_KEY: OLD_KEY } });
    after = await startTestGateway(authority.url, {
      env: { ID_HASH_KEY: NEW_KEY, ID_HASH_KEY_PREVIOUS: OLD_KEY },
    });
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
    await after.close();
    await before.close();
    await authority.close();
  });

  const hashOf = async (riderId: string): Promise<Buffer> =>
    (await db.query<{ id_hash: Buffer }>('SELECT id_hash FROM riders WHERE id = $1', [riderId]))
      .rows[0].id_hash;

  it('authorizes a rider registered under the old key and moves them to the new one', async () => {
    const idNumber = await person(authority.url);
    const riderId = randomUUID();
    const auth = await asRider(riderId);
    await request(before.url)
      .post('/riders')
      .set(auth)
      .send({ name: '王五', idNumber })
      .expect(201);
    expect(await hashOf(riderId)).toEqual(hashIdNumber(OLD_KEY, idNumber));

    await request(after.url)
      .post(`/riders/${riderId}/authorization`)
      .set(auth)
      .send({ idNumber })
      .expect(201);
    expect(await hashOf(riderId)).toEqual(hashIdNumber(NEW_KEY, idNumber));
  });

  it('refuses a second registration of a number still hashed under the old key', async () => {
    const idNumber = await person(authority.url);
    await request(before.url)
      .post('/riders')
      .set(await asRider(randomUUID()))
      .send({ name: '赵六', idNumber })
      .expect(201);
    const res = await request(after.url)
      .post('/riders')
      .set(await asRider(randomUUID()))
      .send({ name: '赵六', idNumber })
      .expect(409);
    expect(res.body.code).toBe('RIDER_EXISTS');
  });

  it('still refuses a wrong number', async () => {
    const idNumber = await person(authority.url);
    const riderId = randomUUID();
    const auth = await asRider(riderId);
    await request(before.url)
      .post('/riders')
      .set(auth)
      .send({ name: '钱七', idNumber })
      .expect(201);
    const other = await person(authority.url);
    const res = await request(after.url)
      .post(`/riders/${riderId}/authorization`)
      .set(auth)
      .send({ idNumber: other })
      .expect(400);
    expect(res.body.code).toBe('ID_NUMBER_MISMATCH');
  });
});
