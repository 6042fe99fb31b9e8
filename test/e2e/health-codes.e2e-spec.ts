import pino from 'pino';
import request from 'supertest';
import { bootstrapAuthority, type RunningAuthority } from '../../apps/health-authority/src/app';
import { AuthorityClient } from '../../apps/gateway/src/health-link/authority.client';
import { testNatsUrl } from '../support/db';
import { healthCode, healthy, person } from '../support/factories';
import {
  AUTHORITY_KEY,
  LogCapture,
  startTestGateway,
  type GatewayUnderTest,
} from '../support/stack';

const T0 = Date.parse('2022-06-01T08:00:00+08:00');

/**
 * A person's own dynamic 随申码, issued and verified by the authority stand-in, as a digital
 * sentinel's gateway reads it (spec 1.1 `health-code`): the gateway's AuthorityClient over HTTP.
 */
describe('dynamic health codes (随申码) at the authority, verified by the gateway', () => {
  let now = T0;
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let client: AuthorityClient;
  const logs = new LogCapture();

  beforeAll(async () => {
    authority = await bootstrapAuthority(
      {
        port: 0,
        host: '127.0.0.1',
        natsUrl: testNatsUrl(),
        apiKey: AUTHORITY_KEY,
        logLevel: 'info',
      },
      pino({ level: 'info' }, logs),
      { clock: { now: () => now } },
    );
    gw = await startTestGateway(authority.url);
    client = gw.app.get(AuthorityClient);
  });

  afterAll(async () => {
    await gw?.close();
    await authority?.close();
  });

  beforeEach(() => {
    now = T0;
  });

  const verify = (code: string) => client.verifyHealthCode(code, 3_000);

  it('says whose code it is and their status while it is valid, and nothing after 60 s', async () => {
    const idNumber = await person(authority.url, { ...healthy(T0), colour: 'yellow' });
    const code = await healthCode(authority.url, idNumber);
    expect(code).toMatch(/^HC-[A-Za-z0-9_-]{20}$/);
    expect(await verify(code)).toEqual({
      status: 'valid',
      idNumber,
      health: { colour: 'yellow', latestNegativeSampledAt: expect.stringMatching(/\+08:00$/) },
    });
    now = T0 + 59_999;
    expect((await verify(code)).status).toBe('valid');
    now = T0 + 60_000; // the end is exclusive
    expect(await verify(code)).toEqual({ status: 'expired', idNumber: null, health: null });
  });

  it('lets only the newest code count: a refresh supersedes the code on an old screenshot', async () => {
    const idNumber = await person(authority.url, healthy(T0));
    const old = await healthCode(authority.url, idNumber);
    now = T0 + 10_000;
    const fresh = await healthCode(authority.url, idNumber);
    expect(fresh).not.toBe(old);
    expect(await verify(old)).toEqual({ status: 'invalid', idNumber: null, health: null });
    expect((await verify(fresh)).status).toBe('valid');
  });

  it('answers an unknown code invalid, and refuses to issue for no one', async () => {
    expect((await verify('HC-AAAAAAAAAAAAAAAAAAAA')).status).toBe('invalid');
    await request(authority.url)
      .post('/v1/persons/110101199001010000/health-codes')
      .set('x-api-key', AUTHORITY_KEY)
      .expect(404);
  });

  it('is AUTHORITY_UNAVAILABLE while the authority is down, and logs no code at the authority', async () => {
    const idNumber = await person(authority.url, healthy(T0));
    const code = await healthCode(authority.url, idNumber);
    await request(authority.url)
      .put('/v1/admin/faults')
      .set('x-api-key', AUTHORITY_KEY)
      .send({ unavailable: true, delayMs: 0 })
      .expect(204);
    try {
      await expect(verify(code)).rejects.toMatchObject({ code: 'AUTHORITY_UNAVAILABLE' });
    } finally {
      await request(authority.url)
        .put('/v1/admin/faults')
        .set('x-api-key', AUTHORITY_KEY)
        .send({ unavailable: false, delayMs: 0 })
        .expect(204);
    }
    expect((await verify(code)).status).toBe('valid');
    expect(logs.text).not.toContain(code);
    expect(logs.text).not.toContain(idNumber);
  });
});
