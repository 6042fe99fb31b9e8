import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { Client } from 'pg';
import type { NatsConnection } from 'nats';
import { hashIdNumber } from '../../apps/gateway/src/riders/id-hash';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import {
  asRider,
  healthy,
  person,
  proveIdentity,
  realNameCard,
  registerAs,
  rider,
  signIn,
  TEST_PASSCODE,
} from '../support/factories';
import { startStack, tap, uniqueId, type GatewayUnderTest, type TestStack } from '../support/stack';

/**
 * Identity is proved at the authority, never typed (issue: "any rider can read a stranger's
 * health status"). Each attack is made as an attacker would make it, over HTTP.
 */
describe('identity is proved, not typed', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let nc: NatsConnection;
  let db: Client;
  let stack: TestStack;

  beforeAll(async () => {
    ({ authority, gw, nc, db } = stack = await startStack());
  });

  afterAll(() => stack.close());

  const api = () => request(gw.url);
  const statusOf = async (riderId: string) =>
    api()
      .get(`/riders/${riderId}/status`)
      .set(await asRider(riderId));

  it('refuses a registration or an authorization that types a stranger’s ID number', async () => {
    const victim = await person(authority.url, healthy(Date.now()));
    const attacker = randomUUID();
    const auth = await asRider(attacker);
    const reg = await api().post('/riders').set(auth).send({ name: '冒名', idNumber: victim });
    expect(reg.status).toBe(400);
    expect(reg.body.code).toBe('VALIDATION_FAILED');
    const authz = await api()
      .post(`/riders/${attacker}/authorization`)
      .set(auth)
      .send({ idNumber: victim });
    expect(authz.status).toBeGreaterThanOrEqual(400);
    expect((await statusOf(attacker)).status).not.toBe(200);
    expect((await db.query('SELECT 1 FROM riders WHERE id = $1', [attacker])).rowCount).toBe(0);
  });

  it('gives no code to someone who knows the number but cannot sign in as the person', async () => {
    const victim = await person(authority.url);
    const attacker = randomUUID();
    const started = await api()
      .post(`/riders/${attacker}/identity-proofs`)
      .set(await asRider(attacker))
      .send({ purpose: 'authorize' })
      .expect(201);
    const url = new URL(started.body.authorizeUrl as string);
    const res = await request(url.origin)
      .post(url.pathname)
      .type('form')
      .send({ ...Object.fromEntries(url.searchParams), idNumber: victim, passcode: 'guessed-1' });
    expect(res.status).toBe(401);
    expect(res.headers.location).toBeUndefined();
    expect(res.text).not.toContain('code=');
    // Guessing is bounded: after five wrong passcodes the number waits, even with the right one.
    const attempt = (passcode: string) =>
      request(url.origin)
        .post(url.pathname)
        .type('form')
        .send({ ...Object.fromEntries(url.searchParams), idNumber: victim, passcode });
    for (let i = 2; i <= 5; i++) expect((await attempt(`guessed-${i}`)).status).toBe(401);
    const locked = await attempt(TEST_PASSCODE);
    expect(locked.status).toBe(429);
    expect(locked.headers.location).toBeUndefined();
  });

  it('binds a sign-in to the account that started it: another account cannot spend its code', async () => {
    const victimId = await person(authority.url, healthy(Date.now()));
    const victim = randomUUID();
    const attacker = randomUUID();
    const proof = await proveIdentity(gw.url, victim, victimId, 'register');
    const stolen = await api()
      .post('/riders')
      .set(await asRider(attacker))
      .send(proof);
    expect(stolen.status).toBe(400);
    expect(stolen.body.code).toBe('IDENTITY_PROOF_INVALID');
    // The attacker's own state with the victim's code: the PKCE verifier does not match.
    const own = await proveIdentity(gw.url, attacker, await person(authority.url), 'register');
    const swapped = await api()
      .post('/riders')
      .set(await asRider(attacker))
      .send({ code: proof.code, state: own.state });
    expect(swapped.status).toBe(400);
    expect(swapped.body.code).toBe('IDENTITY_PROOF_INVALID');
    expect((await db.query('SELECT 1 FROM riders WHERE id = $1', [attacker])).rowCount).toBe(0);
    // A code is spent once, whoever tried it.
    const again = await api()
      .post('/riders')
      .set(await asRider(victim))
      .send(proof);
    expect(again.status).toBe(400);
    await registerAs(gw.url, victim, victimId);
  });

  it('keeps only the keyed hash and the consent id of the person who signed in', async () => {
    const idNumber = await person(authority.url, healthy(Date.now()));
    const riderId = randomUUID();
    const reg = await proveIdentity(gw.url, riderId, idNumber, 'register');
    await api()
      .post('/riders')
      .set(await asRider(riderId))
      .send(reg)
      .expect(201);
    const authz = await proveIdentity(gw.url, riderId, idNumber, 'authorize');
    await api()
      .post(`/riders/${riderId}/authorization`)
      .set(await asRider(riderId))
      .send(authz)
      .expect(201);
    const row = await db.query<{ id_hash: Buffer; name: string }>(
      'SELECT id_hash, name FROM riders WHERE id = $1',
      [riderId],
    );
    expect(row.rows[0].id_hash).toEqual(hashIdNumber(gw.config.idHashKey, idNumber));
    expect(row.rows[0].name).toBeNull(); // the authority holds the name
    const link = await db.query<{ consent_id: string }>(
      'SELECT consent_id FROM health_links WHERE rider_id = $1',
      [riderId],
    );
    expect(link.rows[0].consent_id).toMatch(/^c_/);
    const dump = await db.query(
      `SELECT count(*)::int AS n FROM riders r LEFT JOIN health_links l ON l.rider_id = r.id
       WHERE r.id = $1 AND (row_to_json(r)::text LIKE $2 OR row_to_json(l)::text LIKE $2)`,
      [riderId, `%${idNumber}%`],
    );
    expect(dump.rows[0].n).toBe(0);
    expect(gw.logs.text).not.toContain(idNumber);
    expect((await statusOf(riderId)).status).toBe(200);
  });

  it('does not let a registration made by someone else lock the person out', async () => {
    const idNumber = await person(authority.url, healthy(Date.now()));
    // A squatter's row with the person's hash, as typed-number registration used to make.
    const squatter = randomUUID();
    await db.query('INSERT INTO riders (id, name, id_hash) VALUES ($1, $2, $3)', [
      squatter,
      '冒名',
      hashIdNumber(gw.config.idHashKey, idNumber),
    ]);
    await db.query('INSERT INTO health_links (rider_id, consent_id) VALUES ($1, $2)', [
      squatter,
      'c_squatters-consent-000000',
    ]);
    const real = randomUUID();
    await registerAs(gw.url, real, idNumber);
    const rows = await db.query<{ id: string }>('SELECT id FROM riders WHERE id = ANY($1)', [
      [squatter, real],
    ]);
    expect(rows.rows.map((r) => r.id)).toEqual([real]);
    expect((await statusOf(squatter)).status).not.toBe(200);
  });

  it('refuses to re-prove an account as another person, and grants that person nothing', async () => {
    const owner = await rider(gw.url, authority.url, { authorized: false });
    const stranger = await person(authority.url, healthy(Date.now()));
    const proof = await proveIdentity(gw.url, owner.riderId, stranger, 'authorize');
    const res = await api()
      .post(`/riders/${owner.riderId}/authorization`)
      .set(await asRider(owner.riderId))
      .send(proof);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('IDENTITY_MISMATCH');
    expect((await statusOf(owner.riderId)).body).toMatchObject({
      linkage: 'not-authorized',
      colour: null,
    });
    const link = await db.query('SELECT 1 FROM health_links WHERE rider_id = $1', [owner.riderId]);
    expect(link.rowCount).toBe(0);
  });

  it('lets only the real-name holder link a card, so no one else can report it lost', async () => {
    const holder = await rider(gw.url, authority.url, healthy(Date.now()));
    const attacker = await rider(gw.url, authority.url, healthy(Date.now()));
    const cardNo = uniqueId('C');
    await realNameCard(authority.url, holder.idNumber, cardNo);
    const link = async (riderId: string, no: string) =>
      api()
        .post(`/riders/${riderId}/cards`)
        .set(await asRider(riderId))
        .send({ cardNo: no });

    const taken = await link(attacker.riderId, cardNo);
    expect(taken.status).toBe(403);
    expect(taken.body.code).toBe('CARD_NOT_YOURS');
    await api()
      .post(`/riders/${attacker.riderId}/cards/${cardNo}/report-lost`)
      .set(await asRider(attacker.riderId))
      .expect(404);
    // A card with no real-name holder cannot be linked by anyone.
    expect((await link(attacker.riderId, uniqueId('C'))).status).toBe(403);

    expect((await link(holder.riderId, cardNo)).status).toBe(201);
    const reply = await tap(nc, {
      stationId: 'S0312',
      gateId: uniqueId('G'),
      credential: { kind: 'card', cardNo },
    });
    expect(reply.outcome).toBe('open');
  });

  it('serves the sign-in page only for the registered client and redirect', async () => {
    const riderId = randomUUID();
    const started = await api()
      .post(`/riders/${riderId}/identity-proofs`)
      .set(await asRider(riderId))
      .send({ purpose: 'register' })
      .expect(201);
    const url = new URL(started.body.authorizeUrl as string);
    const page = await request(url.origin).get(`${url.pathname}${url.search}`).expect(200);
    expect(page.text).toContain('name="passcode"');
    url.searchParams.set('redirect_uri', 'https://evil.example/steal');
    await request(url.origin).get(`${url.pathname}${url.search}`).expect(400);
    const idNumber = await person(authority.url);
    await expect(signIn(url.toString(), idNumber)).rejects.toThrow(/400/);
  });
});
