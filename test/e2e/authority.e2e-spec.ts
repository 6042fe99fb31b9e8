import { randomInt } from 'node:crypto';
import { EVENTS } from '@app/protocol';
import { connect, type NatsConnection } from 'nats';
import request from 'supertest';
import { bootstrapAuthority, type RunningAuthority } from '../../apps/health-authority/src/app';
import { loadConfig } from '../../apps/health-authority/src/config';

const API_KEY = 'e2e-authority-key';
let authority: RunningAuthority;
let nc: NatsConnection;

/** Unique per call, so tests share one authority in any order. */
function idNumber(): string {
  let digits = '';
  for (let i = 0; i < 17; i++) digits += randomInt(10);
  return digits + '0123456789X'[randomInt(11)];
}

const api = {
  get: (path: string) => request(authority.url).get(path).set('x-api-key', API_KEY),
  post: (path: string, body: object) =>
    request(authority.url).post(path).set('x-api-key', API_KEY).send(body),
  put: (path: string, body: object) =>
    request(authority.url).put(path).set('x-api-key', API_KEY).send(body),
  delete: (path: string) => request(authority.url).delete(path).set('x-api-key', API_KEY),
};

async function person(
  overrides: Partial<{ idNumber: string; birthDate: string; disabled: boolean }> = {},
): Promise<string> {
  const body = { idNumber: idNumber(), name: '测试', birthDate: '1990-01-01', ...overrides };
  await api.post('/v1/persons', body).expect(201);
  return body.idNumber;
}

async function consent(id: string): Promise<string> {
  const res = await api
    .post('/v1/consents', { idNumber: id, grantee: 'shanghai-metro', purpose: 'one-code-ride' })
    .expect(201);
  return (res.body as { consentId: string }).consentId;
}

/** Raw bodies of status-changed messages for the given consents, seen while `action` runs. */
async function notices(
  consentIds: string[],
  action: () => Promise<unknown>,
  waitMs = 1500,
): Promise<string[]> {
  const sub = nc.subscribe(EVENTS.authorityStatusChanged);
  await nc.flush(); // the server knows the subscription before anything is published
  const seen: string[] = [];
  const done = (async () => {
    for await (const m of sub) {
      const raw = m.string();
      if (consentIds.some((id) => raw.includes(id))) seen.push(raw);
      if (seen.length === consentIds.length) break;
    }
  })();
  const timer = setTimeout(() => sub.unsubscribe(), waitMs);
  await action();
  await done;
  clearTimeout(timer);
  sub.unsubscribe();
  return seen.sort();
}

beforeAll(async () => {
  const config = loadConfig({
    ...process.env,
    AUTHORITY_PORT: '0',
    AUTHORITY_HOST: '127.0.0.1',
    AUTHORITY_API_KEY: API_KEY,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
  });
  authority = await bootstrapAuthority(config);
  nc = await connect({ servers: config.natsUrl.split(',') });
});

afterAll(async () => {
  await nc?.drain();
  await authority?.close();
});

describe('health authority', () => {
  it('is healthy without a key and serves its OpenAPI document', async () => {
    await request(authority.url).get('/health').expect(200, { status: 'ok' });
    const docs = await request(authority.url).get('/docs-json').expect(200);
    expect(Object.keys((docs.body as { paths: object }).paths)).toEqual(
      expect.arrayContaining([
        '/v1/persons',
        '/v1/consents/status:batch',
        '/v1/consents/{consentId}/status',
        '/v1/admin/faults',
      ]),
    );
  });

  it('rejects /v1 requests without the right x-api-key', async () => {
    for (const key of [undefined, 'wrong-key-123']) {
      const req = request(authority.url)
        .post('/v1/persons')
        .send({ idNumber: idNumber(), name: 'x', birthDate: '1990-01-01' });
      const res = await (key ? req.set('x-api-key', key) : req).expect(401);
      expect(res.body).toEqual({ code: 'UNAUTHENTICATED', message: expect.any(String) });
    }
    await request(authority.url).get('/v1/consents/c_x/status').expect(401);
  });

  it('creates a person once and refuses the same idNumber again', async () => {
    const body = { idNumber: idNumber(), name: '王五', birthDate: '2010-05-06', disabled: true };
    const created = await api.post('/v1/persons', body).expect(201);
    // The passcode is the person's own secret for the authority's sign-in, shown once.
    expect(created.body).toEqual({
      personId: expect.stringMatching(/^p_[A-Za-z0-9_-]+$/),
      passcode: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/),
    });
    const again = await api.post('/v1/persons', body).expect(409);
    expect(again.body.code).toBe('PERSON_EXISTS');
  });

  it('answers malformed bodies with 400 naming the field', async () => {
    const cases: Array<[string, object, string]> = [
      ['/v1/persons', { idNumber: '12345', name: 'x', birthDate: '1990-01-01' }, 'idNumber'],
      ['/v1/persons', { idNumber: idNumber(), name: 'x', birthDate: '1990-02-30' }, 'birthDate'],
      [
        '/v1/persons',
        { idNumber: idNumber(), name: 'x', birthDate: '1990-01-01', colour: 'red' },
        'colour',
      ],
      ['/v1/consents', { idNumber: idNumber(), grantee: '', purpose: 'ride' }, 'grantee'],
      ['/v1/consents/status:batch', { consentIds: [] }, 'consentIds'],
      [
        '/v1/consents/status:batch',
        { consentIds: Array.from({ length: 1001 }, (_, i) => `c_${i}`) },
        'consentIds',
      ],
    ];
    for (const [path, body, field] of cases) {
      const res = await api.post(path, body).expect(400);
      expect(res.body).toEqual({
        code: 'MALFORMED_REQUEST',
        message: expect.stringContaining(field),
      });
    }
    const id = await person();
    const noOffset = await api
      .post(`/v1/persons/${id}/tests`, { sampledAt: '2022-06-01T08:00:00', result: 'negative' })
      .expect(400);
    expect(noOffset.body.message).toContain('sampledAt');
    const colour = await api.put(`/v1/persons/${id}/colour`, { colour: 'blue' }).expect(400);
    expect(colour.body.message).toContain('colour');
    const notJson = await request(authority.url)
      .post('/v1/persons')
      .set('x-api-key', API_KEY)
      .set('content-type', 'application/json')
      .send('{"idNumber":')
      .expect(400);
    expect(notJson.body.code).toBe('MALFORMED_REQUEST');
  });

  it('404s colour, tests and consents for an unknown person', async () => {
    const unknown = idNumber();
    expect(
      (await api.put(`/v1/persons/${unknown}/colour`, { colour: 'red' }).expect(404)).body.code,
    ).toBe('PERSON_NOT_FOUND');
    expect(
      (
        await api
          .post(`/v1/persons/${unknown}/tests`, {
            sampledAt: '2022-06-01T08:00:00+08:00',
            result: 'negative',
          })
          .expect(404)
      ).body.code,
    ).toBe('PERSON_NOT_FOUND');
    expect(
      (
        await api
          .post('/v1/consents', { idNumber: unknown, grantee: 'm', purpose: 'p' })
          .expect(404)
      ).body.code,
    ).toBe('PERSON_NOT_FOUND');
  });

  it('reads status through a consent: colour, latest negative and latest test in +08:00', async () => {
    const id = await person();
    const consentId = await consent(id);
    expect(consentId).toMatch(/^c_[A-Za-z0-9_-]{24}$/);
    await api
      .get(`/v1/consents/${consentId}/status`)
      .expect(200, { colour: 'green', latestNegativeSampledAt: null, latestTest: null });

    // Out of sampling order on purpose: "latest" is by sampling time.
    await api
      .post(`/v1/persons/${id}/tests`, { sampledAt: '2022-05-31T10:00:00Z', result: 'negative' })
      .expect(201);
    await api
      .post(`/v1/persons/${id}/tests`, {
        sampledAt: '2022-06-01T09:00:00+08:00',
        result: 'positive',
      })
      .expect(201);
    await api
      .post(`/v1/persons/${id}/tests`, {
        sampledAt: '2022-05-30T08:00:00+08:00',
        result: 'negative',
      })
      .expect(201);
    await api.put(`/v1/persons/${id}/colour`, { colour: 'yellow' }).expect(204);

    await api.get(`/v1/consents/${consentId}/status`).expect(200, {
      colour: 'yellow',
      latestNegativeSampledAt: '2022-05-31T18:00:00.000+08:00',
      latestTest: { sampledAt: '2022-06-01T09:00:00.000+08:00', result: 'positive' },
    });
  });

  it('batch-reads statuses, with null for unknown and revoked consents', async () => {
    const a = await person();
    const b = await person();
    const [ca, cb, revoked] = [await consent(a), await consent(b), await consent(b)];
    await api.put(`/v1/persons/${b}/colour`, { colour: 'red' }).expect(204);
    await api.delete(`/v1/consents/${revoked}`).expect(204);

    const res = await api
      .post('/v1/consents/status:batch', { consentIds: [ca, cb, revoked, 'c_unknown'] })
      .expect(200);
    expect(res.body).toEqual({
      statuses: {
        [ca]: { colour: 'green', latestNegativeSampledAt: null, latestTest: null },
        [cb]: { colour: 'red', latestNegativeSampledAt: null, latestTest: null },
        [revoked]: null,
        c_unknown: null,
      },
    });
  });

  it('revocation is immediate and idempotent', async () => {
    const consentId = await consent(await person());
    await api.get(`/v1/consents/${consentId}/status`).expect(200);
    await api.delete(`/v1/consents/${consentId}`).expect(204);
    const res = await api.get(`/v1/consents/${consentId}/status`).expect(404);
    expect(res.body.code).toBe('CONSENT_NOT_FOUND');
    await api.delete(`/v1/consents/${consentId}`).expect(204);
    await api.delete('/v1/consents/c_never_existed').expect(204);
  });

  it('announces a colour change on NATS for every active consent, with only the consentId', async () => {
    const id = await person();
    const [c1, c2, gone] = [await consent(id), await consent(id), await consent(id)];
    // Wait for the revocation's own notice, so it cannot be mistaken for the colour change's.
    await notices([gone], () => api.delete(`/v1/consents/${gone}`).expect(204));

    const seen = await notices([c1, c2, gone], () =>
      api.put(`/v1/persons/${id}/colour`, { colour: 'red' }).expect(204),
    );
    expect(seen).toEqual(
      [JSON.stringify({ consentId: c1 }), JSON.stringify({ consentId: c2 })].sort(),
    );
    for (const raw of seen) expect(Object.keys(JSON.parse(raw) as object)).toEqual(['consentId']);
  });

  it('announces a new test result on NATS', async () => {
    const id = await person();
    const c = await consent(id);
    const seen = await notices([c], () =>
      api
        .post(`/v1/persons/${id}/tests`, {
          sampledAt: '2022-06-01T08:00:00+08:00',
          result: 'negative',
        })
        .expect(201),
    );
    expect(seen).toEqual([`{"consentId":"${c}"}`]);
  });

  it('announces a revocation on NATS so caches drop it', async () => {
    const c = await consent(await person());
    const seen = await notices([c], () => api.delete(`/v1/consents/${c}`).expect(204));
    expect(seen).toEqual([`{"consentId":"${c}"}`]);
  });

  describe('fault injection', () => {
    afterEach(async () => {
      await api.delete('/v1/admin/faults').expect(204);
    });

    it('delays consent reads by delayMs', async () => {
      const c = await consent(await person());
      await api.put('/v1/admin/faults', { delayMs: 300, unavailable: false }).expect(204);
      const started = Date.now();
      await api.get(`/v1/consents/${c}/status`).expect(200);
      await api.post('/v1/consents/status:batch', { consentIds: [c] }).expect(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 290);
    });

    it('answers consent reads 503 while unavailable, leaves writes alone, and recovers on reset', async () => {
      const id = await person();
      const c = await consent(id);
      await api.put('/v1/admin/faults', { delayMs: 0, unavailable: true }).expect(204);
      expect((await api.get(`/v1/consents/${c}/status`).expect(503)).body).toEqual({
        code: 'UNAVAILABLE',
        message: expect.any(String),
      });
      expect(
        (await api.post('/v1/consents/status:batch', { consentIds: [c] }).expect(503)).body.code,
      ).toBe('UNAVAILABLE');
      await api.put(`/v1/persons/${id}/colour`, { colour: 'yellow' }).expect(204);

      await api.delete('/v1/admin/faults').expect(204);
      expect((await api.get(`/v1/consents/${c}/status`).expect(200)).body.colour).toBe('yellow');
    });

    it('validates the fault settings', async () => {
      const res = await api
        .put('/v1/admin/faults', { delayMs: -1, unavailable: false })
        .expect(400);
      expect(res.body.message).toContain('delayMs');
    });
  });
});
