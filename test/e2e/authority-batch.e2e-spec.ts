import request from 'supertest';
import pino from 'pino';
import { bootstrapAuthority, type RunningAuthority } from '../../apps/health-authority/src/app';
import { LeanBatchRoute } from '../../apps/health-authority/src/consents/lean-batch.route';
import { randomIdNumber, testNatsUrl } from '../support/db';

const KEY = 'batch-authority-key';
const PATH = '/v1/consents/status:batch';

const start = (leanBatchRoute: boolean) =>
  bootstrapAuthority(
    { port: 0, host: '127.0.0.1', natsUrl: testNatsUrl(), apiKey: KEY, logLevel: 'silent' },
    pino({ level: 'silent' }),
    { leanBatchRoute },
  );

/**
 * The batch status route is answered before Express and Nest, for speed. Every answer must be
 * the one the Nest route gives: the same request goes to an authority with the lean route and
 * to one without it, and the two answers are compared.
 */
describe('the lean batch status route answers as the Nest route does', () => {
  let lean: RunningAuthority;
  let nest: RunningAuthority;
  const taken = jest.spyOn(LeanBatchRoute.prototype, 'handle');
  /** The same consent (same person) on both authorities. */
  const consents: Record<'lean' | 'nest', string> = { lean: '', nest: '' };

  beforeAll(async () => {
    [lean, nest] = await Promise.all([start(true), start(false)]);
    const idNumber = randomIdNumber();
    for (const [name, a] of [
      ['lean', lean],
      ['nest', nest],
    ] as const) {
      await request(a.url)
        .post('/v1/persons')
        .set('x-api-key', KEY)
        .send({ idNumber, name: '测试', birthDate: '1990-01-01' })
        .expect(201);
      const res = await request(a.url)
        .post('/v1/consents')
        .set('x-api-key', KEY)
        .send({ idNumber, grantee: 'shanghai-metro', purpose: 'one-code-ride' })
        .expect(201);
      consents[name] = (res.body as { consentId: string }).consentId;
    }
  });

  afterAll(async () => {
    await Promise.all([lean?.close(), nest?.close()]);
  });

  interface Raw {
    body: string;
    type?: string;
    key?: string | null;
  }

  async function both(raw: Raw) {
    const send = async (a: RunningAuthority, consentId: string) => {
      let req = request(a.url).post(PATH);
      if (raw.key !== null) req = req.set('x-api-key', raw.key ?? KEY);
      const res = await req
        .set('content-type', raw.type ?? 'application/json')
        .send(raw.body.replaceAll('$CONSENT', consentId));
      const text = res.text.replaceAll(consentId, '$CONSENT');
      return { status: res.status, body: JSON.parse(text) as unknown };
    };
    taken.mockClear();
    const fromLean = await send(lean, consents.lean);
    const leanTook = taken.mock.results.some((r) => r.value === true);
    const fromNest = await send(nest, consents.nest);
    return { fromLean, fromNest, leanTook };
  }

  const ids = (n: number, f: (i: number) => unknown) =>
    JSON.stringify({ consentIds: Array.from({ length: n }, (_, i) => f(i)) });

  it('a valid batch: the same statuses, null for unknown ids', async () => {
    const r = await both({ body: '{"consentIds": ["$CONSENT", "c_unknown", "__proto__"]}' });
    expect(r.leanTook).toBe(true);
    expect(r.fromLean).toEqual(r.fromNest);
    // Parsed, so that "__proto__" is a key as on the wire, not the prototype.
    const statuses: unknown = JSON.parse(
      '{"$CONSENT": {"colour": "green", "latestNegativeSampledAt": null, "latestTest": null},' +
        ' "c_unknown": null, "__proto__": null}',
    );
    expect(r.fromLean).toEqual({ status: 200, body: { statuses } });
  });

  it.each<[string, string]>([
    ['not JSON', '{"consentIds": ['],
    ['a string', '"c_1"'],
    ['a number', '5'],
    ['null', 'null'],
    ['an array', '["c_1"]'],
    ['an empty body', ''],
    ['only whitespace', '  \n'],
    ['an empty object', '{}'],
    ['consentIds null', '{"consentIds": null}'],
    ['consentIds a string', '{"consentIds": "c_1"}'],
    ['consentIds an empty string', '{"consentIds": ""}'],
    ['consentIds an object', '{"consentIds": {}}'],
    ['no ids', '{"consentIds": []}'],
    ['1,001 ids', ids(1001, (i) => `c_${i}`)],
    ['1,001 numbers', ids(1001, (i) => i)],
    ['exactly 1,000 ids', ids(1000, (i) => `c_${i}`)],
    ['a number among the ids', '{"consentIds": ["c_1", 2]}'],
    ['null among the ids', '{"consentIds": [null]}'],
    ['an array among the ids', '{"consentIds": [["c_1"]]}'],
    ['an empty id', '{"consentIds": [""]}'],
    ['an id of 65 characters', JSON.stringify({ consentIds: ['c'.repeat(65)] })],
    ['an id of 64 characters', JSON.stringify({ consentIds: ['c'.repeat(64)] })],
    ['another property', '{"consentIds": ["c_1"], "extra": 1}'],
    ['another property first', '{"extra": 1, "consentIds": []}'],
    ['a __proto__ property', '{"__proto__": {"x": 1}, "consentIds": ["c_1"]}'],
    ['a constructor property', '{"constructor": 1, "consentIds": ["c_1"]}'],
    ['a toString property', '{"consentIds": ["c_1"], "toString": "x"}'],
    ['a hasOwnProperty property and no ids', '{"hasOwnProperty": 1}'],
    ['a property "prototype"', '{"prototype": 1, "consentIds": ["c_1"]}'],
    ['a property "name"', '{"name": 1, "consentIds": ["c_1"]}'],
    ['a property "length"', '{"length": 1, "consentIds": ["c_1"]}'],
    ['a property "0"', '{"0": 1, "consentIds": ["c_1"]}'],
    ['JSON cut short after a space', '{"consentIds": ["c_1"] '],
    ['a string after whitespace', ' \t"c_1"'],
    ['true', 'true'],
    ['a body over 100 kB', ids(2000, (i) => `c_${String(i).padStart(60, '0')}`)],
    ['a byte-order mark', '\uFEFF{"consentIds": ["$CONSENT"]}'],
  ])('%s', async (_name, body) => {
    const r = await both({ body });
    expect(r.leanTook).toBe(true);
    expect(r.fromLean).toEqual(r.fromNest);
  });

  it.each<[string, Raw]>([
    ['no key', { body: '{"consentIds": ["c_1"]}', key: null }],
    ['a wrong key', { body: '{"consentIds": ["c_1"]}', key: 'wrong-key' }],
    ['another content type', { body: '{"consentIds": ["c_1"]}', type: 'text/plain' }],
  ])('%s: left to Nest, with the same answer', async (_name, raw) => {
    const r = await both(raw);
    expect(r.leanTook).toBe(false);
    expect(r.fromLean).toEqual(r.fromNest);
    expect(r.fromLean.status).toBeGreaterThanOrEqual(400);
  });

  it('an injected fault: 503 from both, and a delay on both', async () => {
    for (const a of [lean, nest])
      await request(a.url)
        .put('/v1/admin/faults')
        .set('x-api-key', KEY)
        .send({ delayMs: 0, unavailable: true })
        .expect(204);
    try {
      const r = await both({ body: '{"consentIds": ["$CONSENT"]}' });
      expect(r.leanTook).toBe(true);
      expect(r.fromLean).toEqual(r.fromNest);
      expect(r.fromLean.status).toBe(503);
    } finally {
      for (const a of [lean, nest])
        await request(a.url).delete('/v1/admin/faults').set('x-api-key', KEY).expect(204);
    }
  });
});
