import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import type { NatsConnection } from 'nats';
import { Client } from 'pg';
import { asRider, rideCode } from '../support/factories';
import {
  natsClient,
  startTestGateway,
  tap,
  testDatabaseUrl,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';

const CANARY = `CANARY-${randomBytes(6).toString('hex')}`;

/** What a broken authority answers a status read with: each one carries the canary. */
const BODIES: Record<string, string> = {
  'not JSON': `{"colour": ${CANARY}, "latestNegativeSampledAt": null}`,
  'a colour that is none': JSON.stringify({
    colour: CANARY,
    latestNegativeSampledAt: null,
    latestTest: null,
  }),
  'a sampling time that is no instant': JSON.stringify({
    colour: 'green',
    latestNegativeSampledAt: `2022-06-01T08:00:00+08:00 ${CANARY}`,
    latestTest: null,
  }),
};

/**
 * Authority answers are checked like gate messages (issue: "a parse error can log health
 * values"): a malformed body is AUTHORITY_UNAVAILABLE, and nothing it held reaches the logs.
 */
describe('malformed answers from the health authority', () => {
  let fake: Server;
  let body = '';
  let gw: GatewayUnderTest;
  let nc: NatsConnection;
  let db: Client;

  beforeAll(async () => {
    // Answers every status read (single and batched) with `body`, as a broken authority would.
    fake = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const batch = req.url?.includes('status:batch');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(batch ? `{"statuses": {"${consentId}": ${body}}}` : body);
      });
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const { port } = fake.address() as AddressInfo;
    gw = await startTestGateway(`http://127.0.0.1:${port}`, {
      env: { HEALTH_CACHE_TTL_MS: '0' },
    });
    nc = await natsClient();
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    // A linked rider, written as registration would have left it.
    await db.query('INSERT INTO riders (id, id_hash) VALUES ($1, $2)', [riderId, randomBytes(32)]);
    await db.query('INSERT INTO health_links (rider_id, consent_id) VALUES ($1, $2)', [
      riderId,
      consentId,
    ]);
  });

  afterAll(async () => {
    await db?.end();
    await nc?.drain();
    await gw?.close();
    await new Promise((resolve) => fake?.close(resolve));
  });

  const riderId = randomUUID();
  const consentId = `c_${randomBytes(18).toString('base64url')}`;

  it.each(Object.keys(BODIES))(
    'a status read answered with %s is 503 on the screen and see-staff at the gate, and logs none of it',
    async (kind) => {
      body = BODIES[kind];
      const screen = await request(gw.url)
        .get(`/riders/${riderId}/status`)
        .set(await asRider(riderId));
      expect(screen.status).toBe(503);
      expect(screen.body.code).toBe('AUTHORITY_UNAVAILABLE');
      expect(JSON.stringify(screen.body)).not.toContain(CANARY);

      const reply = await tap(nc, {
        stationId: 'S0312',
        gateId: uniqueId('G'),
        credential: { kind: 'ride-code', code: await rideCode(gw.url, riderId) },
      });
      expect(reply.outcome).toBe('see-staff');
      expect(reply.reasons).toContain('HEALTH_SERVICE_UNAVAILABLE');
      expect(JSON.stringify(reply)).not.toContain(CANARY);

      await new Promise((resolve) => setTimeout(resolve, 100)); // let log lines land
      const lines = gw.logs.lines.filter((l) => l.includes(CANARY));
      expect(lines).toEqual([]);
      // The control: the gateway did log the failure, by endpoint and field only.
      expect(gw.logs.text).toMatch(/malformed body/);
    },
  );
});
