import { randomUUID } from 'node:crypto';
import { SignJWT, generateKeyPair } from 'jose';
import request from 'supertest';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { asRider, healthy, rider } from '../support/factories';
import {
  bearer,
  startAuthority,
  startTestGateway,
  tokenFor,
  type GatewayUnderTest,
} from '../support/stack';

/** Endpoints anyone may call: readiness, liveness, the API and gate protocol docs, the ride-code JWKS. */
const PUBLIC = new Set([
  'GET /health',
  'GET /health/live',
  'GET /asyncapi.json',
  'GET /.well-known/jwks.json',
]);

interface Operation {
  method: string;
  path: string;
  /** The path with every {param} filled in. */
  url: string;
}

type OpenApi = { paths: Record<string, Record<string, unknown>> };
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function operations(doc: OpenApi): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((m) => METHODS.includes(m))
      .map((m) => ({
        method: m.toUpperCase(),
        path,
        // The guard runs before any pipe, so any well-formed value will do.
        url: path.replace(/\{(\w+)\}/g, (_all, name: string) =>
          /station/i.test(name) ? 'S0312' : randomUUID(),
        ),
      })),
  );
}

const call = (url: string, op: Operation) => {
  const agent = request(url);
  switch (op.method) {
    case 'POST':
      return agent.post(op.url).send({});
    case 'PUT':
      return agent.put(op.url).send({});
    case 'PATCH':
      return agent.patch(op.url).send({});
    case 'DELETE':
      return agent.delete(op.url);
    default:
      return agent.get(op.url);
  }
};

describe('access control on every HTTP endpoint', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let ops: Operation[];

  beforeAll(async () => {
    authority = await startAuthority();
    gw = await startTestGateway(authority.url);
    const doc = (await request(gw.url).get('/docs-json').expect(200)).body as OpenApi;
    ops = operations(doc);
  });

  afterAll(async () => {
    await gw?.close();
    await authority?.close();
  });

  it('documents the operations it protects, and the public ones answer without a token', async () => {
    expect(ops.length).toBeGreaterThan(PUBLIC.size);
    for (const key of PUBLIC) {
      const op = ops.find((o) => `${o.method} ${o.path.replace(/\{\w+\}/g, '')}` === key);
      expect({ key, documented: op !== undefined }).toEqual({ key, documented: true });
    }
    await request(gw.url).get('/health/live').expect(200);
    await request(gw.url).get('/.well-known/jwks.json').expect(200);
    // Metrics are on the admin port, not the public API.
    await request(gw.url).get('/metrics').expect(404);
    await request(gw.adminUrl).get('/metrics').expect(200);
    await request(gw.url).get('/docs').redirects(1).expect(200);
  });

  it('answers 401 with a clear body on every other operation without a token', async () => {
    const wrong: string[] = [];
    for (const op of ops.filter((o) => !PUBLIC.has(`${o.method} ${o.path}`))) {
      const res = await call(gw.url, op);
      const body = res.body as { code?: string; message?: string };
      if (res.status !== 401 || body.code !== 'UNAUTHENTICATED' || !body.message)
        wrong.push(`${op.method} ${op.path}: ${res.status} ${res.text}`);
    }
    expect(wrong).toEqual([]);
  });

  it('answers 401 on every protected operation to a forged, expired or foreign token', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ role: 'operator' })
      .setProtectedHeader({ alg: 'ES256', kid: 'test-access' })
      .setIssuer('one-code-ride-dev-idp')
      .setAudience('fare-gateway')
      .setSubject('mallory')
      .setExpirationTime('1h')
      .sign(privateKey);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: 'x', role: 'operator', exp: 9_999_999_999 }),
    ).toString('base64url')}.`;
    const expired = await tokenFor({ sub: 'op', role: 'operator' }, -60);
    const wrong: string[] = [];
    for (const op of ops.filter((o) => !PUBLIC.has(`${o.method} ${o.path}`))) {
      for (const [name, token] of [
        ['forged', forged],
        ['alg none', unsigned],
        ['expired', expired],
        ['garbage', 'not-a-jwt'],
      ]) {
        const res = await call(gw.url, op).set('authorization', `Bearer ${token}`);
        if (res.status !== 401) wrong.push(`${name} ${op.method} ${op.path}: ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('answers 403 to a wrong role, another rider, or staff of another station', async () => {
    const someone = randomUUID();
    const cases: [string, Promise<request.Response>][] = [
      [
        'rider on the trace export',
        request(gw.url)
          .get('/checkins/export')
          .set(await bearer({ sub: someone, role: 'rider' })),
      ],
      [
        'operator on a rider endpoint',
        request(gw.url)
          .get(`/riders/${someone}/status`)
          .set(await bearer({ sub: 'op', role: 'operator' })),
      ],
      [
        'rider on another rider',
        request(gw.url)
          .get(`/riders/${randomUUID()}/status`)
          .set(await asRider(someone)),
      ],
    ];
    // Every station-scoped operation refuses staff of another station.
    const staffElsewhere = await bearer({ sub: 'staff-9', role: 'staff', station: 'S9999' });
    for (const op of ops.filter((o) => /\{stationId\}/.test(o.path)))
      cases.push([
        `staff of S9999 on ${op.method} ${op.path}`,
        call(gw.url, op).set(staffElsewhere),
      ]);
    const results = await Promise.all(
      cases.map(async ([name, req]) => {
        const res = await req;
        return { name, status: res.status, code: (res.body as { code?: string }).code };
      }),
    );
    expect(results).toEqual(cases.map(([name]) => ({ name, status: 403, code: 'FORBIDDEN' })));
  });

  it('never reveals whether a rider exists', async () => {
    const existing = await rider(gw.url, authority.url, healthy(Date.now()));
    const missing = randomUUID();
    const intruder = await asRider(randomUUID());
    for (const path of ['status', 'ride-code', 'authorization']) {
      const method = path === 'status' ? 'get' : path === 'ride-code' ? 'post' : 'delete';
      const answers = await Promise.all(
        [existing.riderId, missing].flatMap((id) => [
          request(gw.url)[method](`/riders/${id}/${path}`),
          request(gw.url)[method](`/riders/${id}/${path}`).set(intruder),
        ]),
      );
      const [existingAnon, existingOther, missingAnon, missingOther] = answers.map((r) => ({
        status: r.status,
        body: r.body as unknown,
      }));
      expect(existingAnon).toEqual(missingAnon);
      expect(existingOther).toEqual(missingOther);
      expect(existingOther.status).toBe(403);
      expect(JSON.stringify(existingOther.body)).not.toMatch(/exist|found|unknown/i);
    }
  });
});

describe('rate limiting of the rider endpoints', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;

  beforeAll(async () => {
    authority = await startAuthority();
    gw = await startTestGateway(authority.url, { env: { RIDER_REQUESTS_PER_MINUTE: '3' } });
  });

  afterAll(async () => {
    await gw?.close();
    await authority?.close();
  });

  it('answers 429 RATE_LIMITED with a clear body once a caller exceeds the limit', async () => {
    const riderId = randomUUID();
    const auth = await asRider(riderId);
    const statuses: number[] = [];
    let last: request.Response | null = null;
    for (let i = 0; i < 4; i++) {
      last = await request(gw.url).post(`/riders/${riderId}/ride-code`).set(auth);
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 3)).not.toContain(429);
    expect(statuses[3]).toBe(429);
    expect(last?.body).toEqual({
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/^too many requests: at most 3 a minute/),
    });
    expect(last?.headers['retry-after']).toMatch(/^\d+$/);
    // The limit is per caller: another rider is not held back.
    const other = randomUUID();
    const res = await request(gw.url)
      .post(`/riders/${other}/ride-code`)
      .set(await asRider(other));
    expect(res.status).not.toBe(429);
  });
});
