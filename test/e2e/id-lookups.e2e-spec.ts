import { createHmac } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { healthy, person } from '../support/factories';
import {
  bearer,
  randomIdNumber,
  startAuthority,
  startTestGateway,
  testDatabaseUrl,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';

const STATION = 'S0312';
const PER_MINUTE = 3;

interface LookupRow {
  actor_kind: string;
  actor_id: string;
  station_id: string;
  person_key: Buffer;
  outcome: string;
}

/**
 * A status read by ID number is an oracle of someone's health: each staff member gets a
 * bounded number a minute, and every attempt is recorded with the keyed hash of the number.
 */
describe('status lookups by ID number: rate limited per staff member, audited by keyed hash', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let db: Client;

  beforeAll(async () => {
    authority = await startAuthority();
    gw = await startTestGateway(authority.url, {
      env: { ID_LOOKUPS_PER_MINUTE: String(PER_MINUTE) },
    });
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
  });

  afterAll(async () => {
    await gw.close();
    await authority.close();
    await db.end();
  });

  const keyed = (idNumber: string) =>
    createHmac('sha256', gw.config.idHashKey).update(idNumber.toUpperCase()).digest();

  const desk = async (staffId: string, path: string, body: object) =>
    request(gw.url)
      .post(`/stations/${STATION}/${path}`)
      .set(await bearer({ sub: staffId, role: 'staff', station: STATION }))
      .send(body);

  const rowsOf = async (staffId: string) =>
    (
      await db.query<LookupRow>(
        `SELECT actor_kind, actor_id, station_id, person_key, outcome FROM id_lookups
         WHERE actor_id = $1 ORDER BY id`,
        [staffId],
      )
    ).rows;

  it('answers a staff member ID_LOOKUPS_PER_MINUTE lookups, then 429 with Retry-After; others are unaffected', async () => {
    const staffId = uniqueId('staff');
    const numbers = await Promise.all(
      Array.from({ length: PER_MINUTE + 1 }, () =>
        person(authority.url, { ...healthy(Date.now()), birthYear: 1985 }),
      ),
    );
    const statuses: number[] = [];
    for (const idNumber of numbers) {
      const res = await desk(staffId, 'desk/id-lookups', { idNumber, riderPresent: true });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.body.code).toBe('RATE_LIMITED');
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
      }
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    // The elderly/child lookup reads a status by number too: same allowance, refused.
    const elderly = await desk(staffId, 'desk/verify/elderly-child', {
      idNumber: randomIdNumber({ birthYear: 1940 }),
      name: '赵老',
    });
    expect(elderly.status).toBe(429);
    // Another staff member has an allowance of their own.
    const other = await desk(uniqueId('staff'), 'desk/id-lookups', {
      idNumber: numbers[0],
      riderPresent: true,
    });
    expect(other.status).toBe(200);
  });

  it('records every attempt, refused ones too, with the keyed hash of the number and never the number', async () => {
    const staffId = uniqueId('staff');
    const numbers = Array.from({ length: PER_MINUTE + 1 }, () => randomIdNumber());
    for (const idNumber of numbers)
      await desk(staffId, 'desk/id-lookups', { idNumber, riderPresent: true });
    const rows = await rowsOf(staffId);
    expect(
      rows.map((r) => ({ ...r, person_key: Buffer.from(r.person_key).toString('hex') })),
    ).toEqual(
      numbers.map((n, i) => ({
        actor_kind: 'staff',
        actor_id: staffId,
        station_id: STATION,
        person_key: keyed(n).toString('hex'),
        outcome: i < PER_MINUTE ? 'admitted' : 'rate-limited',
      })),
    );
    const everything = await db.query(
      `SELECT row_to_json(l)::text AS t FROM id_lookups l WHERE actor_id = $1
       UNION ALL SELECT row_to_json(a)::text FROM staff_audit a WHERE staff_id = $1`,
      [staffId],
    );
    const text = everything.rows.map((r: { t: string }) => r.t).join('\n');
    for (const n of numbers) expect(text).not.toContain(n);
    // The trail is append-only.
    await expect(
      db.query(`UPDATE id_lookups SET outcome = 'x' WHERE actor_id = $1`, [staffId]),
    ).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM id_lookups WHERE actor_id = $1`, [staffId])).rejects.toThrow(
      /append-only/,
    );
  });
});
