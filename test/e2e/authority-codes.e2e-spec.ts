import { Writable } from 'node:stream';
import { formatShanghai, parseInstant } from '@app/protocol';
import pino from 'pino';
import request from 'supertest';
import { bootstrapAuthority, type RunningAuthority } from '../../apps/health-authority/src/app';
import { loadConfig } from '../../apps/health-authority/src/config';
import { randomIdNumber } from '../support/db';

const API_KEY = 'e2e-authority-codes-key';
const DAY = 86_400_000;
/** Every test starts here unless it moves the clock itself. */
const T0 = parseInstant('2022-06-01T12:00:00+08:00') as number;

let now = T0;
const clock = { now: () => now };
let authority: RunningAuthority;

/** Everything the authority logged, to check no ID number, code or health value leaks. */
class LogCapture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}
const logs = new LogCapture();
const secrets = new Set<string>();

const api = {
  get: (path: string) => request(authority.url).get(path).set('x-api-key', API_KEY),
  post: (path: string, body: object = {}) =>
    request(authority.url).post(path).set('x-api-key', API_KEY).send(body),
  put: (path: string, body: object) =>
    request(authority.url).put(path).set('x-api-key', API_KEY).send(body),
  delete: (path: string) => request(authority.url).delete(path).set('x-api-key', API_KEY),
};

interface PersonOptions {
  birthDate?: string;
  name?: string;
  disabled?: boolean;
  specialGroup?: boolean;
}

/** A new person with a unique ID number whose birth year matches birthDate. */
async function person(options: PersonOptions = {}): Promise<string> {
  const birthDate = options.birthDate ?? '1990-01-01';
  const idNumber = randomIdNumber({ birthYear: Number(birthDate.slice(0, 4)) });
  secrets.add(idNumber);
  await api.post('/v1/persons', { idNumber, name: '测试', ...options, birthDate }).expect(201);
  return idNumber;
}

const elderly = () => person({ birthDate: '1950-03-04' });
const child = () => person({ birthDate: '2015-03-04' });

async function negativeAt(idNumber: string, sampledAt: string): Promise<void> {
  await api.post(`/v1/persons/${idNumber}/tests`, { sampledAt, result: 'negative' }).expect(201);
}

interface Issued {
  code: string;
  issuedAt: string;
  validUntil: string;
}

async function offlineCode(idNumber: string): Promise<Issued> {
  const res = await api.post(`/v1/persons/${idNumber}/offline-codes`).expect(201);
  const issued = res.body as Issued;
  secrets.add(issued.code);
  return issued;
}

const verifyOffline = async (code: string, idNumber?: string) =>
  (await api.post('/v1/offline-codes/verify', { code, idNumber }).expect(200)).body as {
    status: string;
    belongsToIdNumber: boolean | null;
    health: { colour: string; latestNegativeSampledAt: string | null } | null;
  };

const verifyNucleicAcid = async (code: string) =>
  (
    (await api.post('/v1/nucleic-acid-codes/verify', { code }).expect(200)).body as {
      status: string;
    }
  ).status;

beforeAll(async () => {
  const config = loadConfig({
    ...process.env,
    AUTHORITY_PORT: '0',
    AUTHORITY_HOST: '127.0.0.1',
    AUTHORITY_API_KEY: API_KEY,
    LOG_LEVEL: 'info',
  });
  authority = await bootstrapAuthority(config, pino({ level: 'info' }, logs), { clock });
});

beforeEach(() => {
  now = T0;
});

afterAll(async () => {
  await authority?.close();
});

describe('eligibility for offline codes (at 2022-06-01 12:00 +08:00)', () => {
  it.each([
    ['17 years old', { birthDate: '2004-06-02' }, 201],
    ['18 years old today', { birthDate: '2004-06-01' }, 422],
    ['59 years old', { birthDate: '1962-06-02' }, 422],
    ['60 years old today', { birthDate: '1962-06-01' }, 201],
    ['a disabled adult', { birthDate: '1990-01-01', disabled: true }, 201],
    ['an adult in a special group', { birthDate: '1990-01-01', specialGroup: true }, 422],
  ])('%s -> %i', async (_label, options: PersonOptions, status) => {
    const id = await person(options);
    const res = await api.post(`/v1/persons/${id}/offline-codes`).expect(status);
    if (status === 422)
      expect(res.body).toEqual({ code: 'NOT_ELIGIBLE', message: expect.any(String) });
  });

  it('judges age by the authority clock, at Asia/Shanghai midnight', async () => {
    const id = await person({ birthDate: '2004-06-02' });
    now = (parseInstant('2022-06-02T00:00:00+08:00') as number) - 1;
    expect((await api.post(`/v1/persons/${id}/offline-codes`)).status).toBe(201);
    now += 1; // 18 from midnight on the birthday
    expect((await api.post(`/v1/persons/${id}/offline-codes`)).status).toBe(422);
  });

  it('404s an unknown person', async () => {
    const res = await api.post(`/v1/persons/${randomIdNumber()}/offline-codes`).expect(404);
    expect(res.body.code).toBe('PERSON_NOT_FOUND');
  });
});

describe('offline codes (离线随申码)', () => {
  it('issues a code valid 180 days and verifies it with and without the ID number', async () => {
    const id = await elderly();
    const issued = await offlineCode(id);
    expect(issued).toEqual({
      code: expect.stringMatching(/^OFF-[A-Za-z0-9_-]{20}$/),
      issuedAt: '2022-06-01T12:00:00.000+08:00',
      validUntil: '2022-11-28T12:00:00.000+08:00',
    });

    expect(await verifyOffline(issued.code)).toEqual({
      status: 'valid',
      belongsToIdNumber: null,
      health: { colour: 'green', latestNegativeSampledAt: null },
    });
    await negativeAt(id, '2022-05-31T09:30:00+08:00');
    await api.put(`/v1/persons/${id}/colour`, { colour: 'yellow' }).expect(204);
    expect(await verifyOffline(issued.code, id)).toEqual({
      status: 'valid',
      belongsToIdNumber: true,
      health: { colour: 'yellow', latestNegativeSampledAt: '2022-05-31T09:30:00.000+08:00' },
    });
  });

  it('withholds health when the ID card shown does not match', async () => {
    const id = await elderly();
    const other = await elderly();
    const { code } = await offlineCode(id);
    expect(await verifyOffline(code, other)).toEqual({
      status: 'valid',
      belongsToIdNumber: false,
      health: null,
    });
  });

  it('answers unknown for a code never issued', async () => {
    expect(await verifyOffline('OFF-neverissuedneverissu')).toEqual({
      status: 'unknown',
      belongsToIdNumber: null,
      health: null,
    });
    expect(await verifyOffline('not even a code', await elderly())).toEqual({
      status: 'unknown',
      belongsToIdNumber: false,
      health: null,
    });
  });

  it('keeps one valid per person: a reissue supersedes the previous one', async () => {
    const id = await child();
    const first = await offlineCode(id);
    now += 60_000;
    const second = await offlineCode(id);
    expect(second.code).not.toBe(first.code);
    expect(second.issuedAt).toBe(formatShanghai(T0 + 60_000));
    expect(await verifyOffline(first.code, id)).toEqual({
      status: 'superseded',
      belongsToIdNumber: true,
      health: null,
    });
    expect((await verifyOffline(second.code, id)).status).toBe('valid');
  });

  it('voids the current code on a loss report, idempotently', async () => {
    const id = await person({ birthDate: '1990-01-01', disabled: true });
    const { code } = await offlineCode(id);
    await api.post(`/v1/persons/${id}/offline-codes/report-lost`).expect(204);
    expect((await verifyOffline(code, id)).status).toBe('superseded');
    await api.post(`/v1/persons/${id}/offline-codes/report-lost`).expect(204);
    const replacement = await offlineCode(id);
    expect((await verifyOffline(replacement.code, id)).status).toBe('valid');
    expect((await verifyOffline(code, id)).status).toBe('superseded');

    const unknown = await api
      .post(`/v1/persons/${randomIdNumber()}/offline-codes/report-lost`)
      .expect(404);
    expect(unknown.body.code).toBe('PERSON_NOT_FOUND');
  });

  it('expires exactly 180 days after issue, to the millisecond', async () => {
    const id = await elderly();
    const { code } = await offlineCode(id);
    now = T0 + 180 * DAY - 1;
    expect((await verifyOffline(code, id)).status).toBe('valid');
    now = T0 + 180 * DAY;
    expect(await verifyOffline(code, id)).toEqual({
      status: 'expired',
      belongsToIdNumber: true,
      health: null,
    });
    // A new one can be issued once the old one has lapsed.
    expect((await verifyOffline((await offlineCode(id)).code, id)).status).toBe('valid');
  });

  it('follows the admin clock offset, and a reset returns to the base clock', async () => {
    const { code } = await offlineCode(await elderly());
    try {
      await api.put('/v1/admin/clock', { offsetMs: 180 * DAY - 1 }).expect(204);
      expect((await verifyOffline(code)).status).toBe('valid');
      await api.put('/v1/admin/clock', { offsetMs: 180 * DAY }).expect(204);
      expect((await verifyOffline(code)).status).toBe('expired');
      expect((await api.get('/v1/admin/clock').expect(200)).body).toEqual({
        now: '2022-11-28T12:00:00.000+08:00',
        offsetMs: 180 * DAY,
      });
    } finally {
      await api.delete('/v1/admin/clock').expect(204);
    }
    expect((await verifyOffline(code)).status).toBe('valid');
    expect((await api.get('/v1/admin/clock').expect(200)).body.offsetMs).toBe(0);
  });
});

describe("relatives' codes (亲属随申码)", () => {
  const relativeCode = async (guardian: string, dependant: string, status = 201) =>
    api.post(`/v1/persons/${guardian}/relatives`, { dependantIdNumber: dependant }).expect(status);
  const verifyRelative = async (code: string) =>
    (await api.post('/v1/relative-codes/verify', { code }).expect(200)).body as unknown;

  it('lets a guardian hold a code for a child, and verifies it with the dependant health', async () => {
    const guardian = await person();
    const kid = await child();
    const res = await relativeCode(guardian, kid);
    const code = (res.body as { relativeCode: string }).relativeCode;
    secrets.add(code);
    expect(code).toMatch(/^REL-[A-Za-z0-9_-]{20}$/);
    expect((await relativeCode(guardian, kid)).body).toEqual({ relativeCode: code });

    await negativeAt(kid, '2022-06-01T08:00:00+08:00');
    expect(await verifyRelative(code)).toEqual({
      status: 'valid',
      dependantIdNumber: kid,
      health: { colour: 'green', latestNegativeSampledAt: '2022-06-01T08:00:00.000+08:00' },
    });
  });

  it('accepts the elderly, the disabled and special groups; refuses other adults', async () => {
    const guardian = await person();
    await relativeCode(guardian, await elderly());
    await relativeCode(guardian, await person({ disabled: true }));
    await relativeCode(guardian, await person({ specialGroup: true }));
    const adult = await relativeCode(guardian, await person({ birthDate: '1962-06-02' }), 422);
    expect(adult.body.code).toBe('NOT_ELIGIBLE');
    expect((await relativeCode(guardian, guardian, 422)).body.code).toBe('NOT_ELIGIBLE');
  });

  it('404s an unknown guardian or dependant', async () => {
    const known = await child();
    expect((await relativeCode(randomIdNumber(), known, 404)).body.code).toBe('PERSON_NOT_FOUND');
    const res = await relativeCode(await person(), randomIdNumber(), 404);
    expect(res.body).toEqual({
      code: 'PERSON_NOT_FOUND',
      message: expect.stringContaining('dependantIdNumber'),
    });
  });

  it('answers unknown for a code never issued, and once the dependant has turned 18', async () => {
    const empty = { status: 'unknown', dependantIdNumber: null, health: null };
    expect(await verifyRelative('REL-neverissuedneverissu')).toEqual(empty);
    const kid = await person({ birthDate: '2004-06-02' });
    const code = ((await relativeCode(await person(), kid)).body as { relativeCode: string })
      .relativeCode;
    now = parseInstant('2022-06-02T00:00:00+08:00') as number;
    expect(await verifyRelative(code)).toEqual(empty);
  });
});

describe('nucleic-acid codes (核酸码)', () => {
  const issue = async (id: string) =>
    (await api.post(`/v1/persons/${id}/nucleic-acid-codes`).expect(201)).body as {
      code: string;
      validUntil: string;
    };

  it('are for anyone registered, valid 30 days to the millisecond', async () => {
    const issued = await issue(await person());
    expect(issued).toEqual({
      code: expect.stringMatching(/^NAC-[A-Za-z0-9_-]{20}$/),
      validUntil: '2022-07-01T12:00:00.000+08:00',
    });
    expect(await verifyNucleicAcid(issued.code)).toBe('valid');
    now = T0 + 30 * DAY - 1;
    expect(await verifyNucleicAcid(issued.code)).toBe('valid');
    now = T0 + 30 * DAY;
    expect(await verifyNucleicAcid(issued.code)).toBe('expired');
    expect(await verifyNucleicAcid('NAC-neverissuedneverissu')).toBe('unknown');
  });

  it('keeps one valid at a time, independently of offline codes', async () => {
    const id = await elderly();
    const offline = await offlineCode(id);
    const first = await issue(id);
    const second = await issue(id);
    expect(await verifyNucleicAcid(first.code)).toBe('superseded');
    expect(await verifyNucleicAcid(second.code)).toBe('valid');
    expect((await verifyOffline(offline.code, id)).status).toBe('valid');
    await offlineCode(id);
    expect(await verifyNucleicAcid(second.code)).toBe('valid');
    // Codes of one kind are not codes of the other.
    expect(await verifyNucleicAcid(offline.code)).toBe('unknown');
  });

  it('404s an unknown person', async () => {
    const res = await api.post(`/v1/persons/${randomIdNumber()}/nucleic-acid-codes`).expect(404);
    expect(res.body.code).toBe('PERSON_NOT_FOUND');
  });
});

describe('lookups', () => {
  it('looks up by ID number for digital sentinels and staff desks', async () => {
    const id = await person();
    await negativeAt(id, '2022-05-30T10:00:00+08:00');
    await api.put(`/v1/persons/${id}/colour`, { colour: 'red' }).expect(204);
    for (const purpose of ['digital-sentinel', 'staff-desk']) {
      const res = await api.post('/v1/lookups/id-number', { idNumber: id, purpose }).expect(200);
      expect(res.body).toEqual({
        found: true,
        health: { colour: 'red', latestNegativeSampledAt: '2022-05-30T10:00:00.000+08:00' },
      });
    }
    const unknown = await api
      .post('/v1/lookups/id-number', { idNumber: randomIdNumber(), purpose: 'staff-desk' })
      .expect(200);
    expect(unknown.body).toEqual({ found: false, health: null });
  });

  it('serves the elderly/child test lookup with the latest test, by ID number and name', async () => {
    const kid = await person({ birthDate: '2015-03-04', name: '李小明' });
    await negativeAt(kid, '2022-05-31T08:00:00+08:00');
    await api
      .post(`/v1/persons/${kid}/tests`, {
        sampledAt: '2022-06-01T07:00:00+08:00',
        result: 'positive',
      })
      .expect(201);
    const res = await api
      .post('/v1/lookups/elderly-child', { idNumber: kid, name: '李小明' })
      .expect(200);
    expect(res.body).toEqual({
      health: {
        colour: 'green',
        latestNegativeSampledAt: '2022-05-31T08:00:00.000+08:00',
        latestTest: { sampledAt: '2022-06-01T07:00:00.000+08:00', result: 'positive' },
      },
    });

    const sixty = await person({ birthDate: '1962-06-01', name: '王老' });
    const elder = await api
      .post('/v1/lookups/elderly-child', { idNumber: sixty, name: ' 王老 ' })
      .expect(200);
    expect(elder.body).toEqual({
      health: { colour: 'green', latestNegativeSampledAt: null, latestTest: null },
    });
  });

  it('404s a wrong name or unknown person, 422s persons aged 18 to 59', async () => {
    const kid = await person({ birthDate: '2015-03-04', name: '李小明' });
    const wrongName = await api
      .post('/v1/lookups/elderly-child', { idNumber: kid, name: '李大明' })
      .expect(404);
    expect(wrongName.body.code).toBe('PERSON_NOT_FOUND');
    await api
      .post('/v1/lookups/elderly-child', { idNumber: randomIdNumber(), name: '李小明' })
      .expect(404);
    const adult = await person({ birthDate: '1962-06-02', name: '赵六' });
    const res = await api
      .post('/v1/lookups/elderly-child', { idNumber: adult, name: '赵六' })
      .expect(422);
    expect(res.body.code).toBe('NOT_ELIGIBLE');
  });
});

describe('bad requests', () => {
  it('answers malformed bodies and paths with 400 naming the field', async () => {
    const id = await elderly();
    const cases: Array<[string, string, object, string]> = [
      ['post', '/v1/offline-codes/verify', {}, 'code'],
      ['post', '/v1/offline-codes/verify', { code: '' }, 'code'],
      ['post', '/v1/offline-codes/verify', { code: 'OFF-x', idNumber: '123' }, 'idNumber'],
      ['post', '/v1/offline-codes/verify', { code: 'OFF-x', extra: 1 }, 'extra'],
      ['post', '/v1/relative-codes/verify', { code: 42 }, 'code'],
      ['post', '/v1/nucleic-acid-codes/verify', { code: 'x'.repeat(129) }, 'code'],
      ['post', `/v1/persons/${id}/relatives`, { dependantIdNumber: 'x' }, 'dependantIdNumber'],
      ['post', '/v1/persons/12345/offline-codes', {}, 'idNumber'],
      ['post', '/v1/persons/12345/offline-codes/report-lost', {}, 'idNumber'],
      ['post', '/v1/persons/12345/nucleic-acid-codes', {}, 'idNumber'],
      ['post', '/v1/persons/12345/relatives', { dependantIdNumber: id }, 'idNumber'],
      ['post', '/v1/lookups/id-number', { idNumber: id, purpose: 'curiosity' }, 'purpose'],
      ['post', '/v1/lookups/id-number', { idNumber: 'abc', purpose: 'staff-desk' }, 'idNumber'],
      ['post', '/v1/lookups/elderly-child', { idNumber: id, name: '' }, 'name'],
      ['put', '/v1/admin/clock', { offsetMs: 1.5 }, 'offsetMs'],
      ['put', '/v1/admin/clock', { offsetMs: 1e16 }, 'offsetMs'],
      [
        'post',
        '/v1/persons',
        { idNumber: randomIdNumber(), name: 'x', birthDate: '1990-01-01', specialGroup: 'yes' },
        'specialGroup',
      ],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await (method === 'put' ? api.put(path, body) : api.post(path, body));
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.body).toEqual({
        code: 'MALFORMED_REQUEST',
        message: expect.stringContaining(field),
      });
    }
  });

  it('answers every new route 401 without the right x-api-key', async () => {
    const id = randomIdNumber();
    const routes: Array<['post' | 'put' | 'delete' | 'get', string]> = [
      ['post', `/v1/persons/${id}/offline-codes`],
      ['post', `/v1/persons/${id}/offline-codes/report-lost`],
      ['post', '/v1/offline-codes/verify'],
      ['post', `/v1/persons/${id}/relatives`],
      ['post', '/v1/relative-codes/verify'],
      ['post', `/v1/persons/${id}/nucleic-acid-codes`],
      ['post', '/v1/nucleic-acid-codes/verify'],
      ['post', '/v1/lookups/id-number'],
      ['post', '/v1/lookups/elderly-child'],
      ['get', '/v1/admin/clock'],
      ['put', '/v1/admin/clock'],
      ['delete', '/v1/admin/clock'],
    ];
    for (const [method, path] of routes) {
      for (const key of [undefined, 'wrong-key-123']) {
        const req = request(authority.url)[method](path);
        const res = await (key ? req.set('x-api-key', key) : req).send({ code: 'x' });
        expect({ path, status: res.status }).toEqual({ path, status: 401 });
        expect(res.body.code).toBe('UNAUTHENTICATED');
      }
    }
  });
});

describe('operations', () => {
  it('applies injected faults to verifications and lookups, not to issuing', async () => {
    const id = await elderly();
    try {
      await api.put('/v1/admin/faults', { delayMs: 0, unavailable: true }).expect(204);
      const { code } = await offlineCode(id);
      for (const [path, body] of [
        ['/v1/offline-codes/verify', { code }],
        ['/v1/relative-codes/verify', { code: 'REL-x' }],
        ['/v1/nucleic-acid-codes/verify', { code: 'NAC-x' }],
        ['/v1/lookups/id-number', { idNumber: id, purpose: 'digital-sentinel' }],
        ['/v1/lookups/elderly-child', { idNumber: id, name: '测试' }],
      ] as const) {
        expect((await api.post(path, body).expect(503)).body.code).toBe('UNAVAILABLE');
      }
    } finally {
      await api.delete('/v1/admin/faults').expect(204);
    }
  });

  it('documents the new routes in OpenAPI', async () => {
    const docs = await request(authority.url).get('/docs-json').expect(200);
    expect(Object.keys((docs.body as { paths: object }).paths)).toEqual(
      expect.arrayContaining([
        '/v1/persons/{idNumber}/offline-codes',
        '/v1/persons/{idNumber}/offline-codes/report-lost',
        '/v1/offline-codes/verify',
        '/v1/persons/{guardianIdNumber}/relatives',
        '/v1/relative-codes/verify',
        '/v1/persons/{idNumber}/nucleic-acid-codes',
        '/v1/nucleic-acid-codes/verify',
        '/v1/lookups/id-number',
        '/v1/lookups/elderly-child',
        '/v1/admin/clock',
      ]),
    );
  });

  it('never logs an ID number, a code or a health value', async () => {
    // Runs last in this file: by now every route above has been logged.
    expect(logs.text).toContain('/v1/persons/:idNumber/offline-codes');
    expect(secrets.size).toBeGreaterThan(20);
    for (const secret of secrets) expect(logs.text).not.toContain(secret);
    for (const value of ['latestNegativeSampledAt', '"colour"', 'yellow', '2022-05-31T'])
      expect(logs.text).not.toContain(value);
  });
});
