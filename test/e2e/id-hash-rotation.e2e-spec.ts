import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { Client } from 'pg';
import { hashIdNumber } from '../../apps/gateway/src/riders/id-hash';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { asRider, authorizeAs, person, proveIdentity, registerAs } from '../support/factories';
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
    await registerAs(before.url, riderId, idNumber);
    expect(await hashOf(riderId)).toEqual(hashIdNumber(OLD_KEY, idNumber));

    await authorizeAs(after.url, riderId, idNumber);
    expect(await hashOf(riderId)).toEqual(hashIdNumber(NEW_KEY, idNumber));
  });

  it('moves a person still hashed under the old key to their new account, under the new key', async () => {
    const idNumber = await person(authority.url);
    const old = randomUUID();
    await registerAs(before.url, old, idNumber);
    const fresh = randomUUID();
    await registerAs(after.url, fresh, idNumber);
    const rows = await db.query<{ id: string; id_hash: Buffer }>(
      'SELECT id, id_hash FROM riders WHERE id = ANY($1)',
      [[old, fresh]],
    );
    expect(rows.rows).toEqual([{ id: fresh, id_hash: hashIdNumber(NEW_KEY, idNumber) }]);
  });

  it('still refuses another person', async () => {
    const idNumber = await person(authority.url);
    const riderId = randomUUID();
    await registerAs(before.url, riderId, idNumber);
    const other = await person(authority.url);
    const proof = await proveIdentity(after.url, riderId, other, 'authorize');
    const res = await request(after.url)
      .post(`/riders/${riderId}/authorization`)
      .set(await asRider(riderId))
      .send(proof)
      .expect(403);
    expect(res.body.code).toBe('IDENTITY_MISMATCH');
  });
});
