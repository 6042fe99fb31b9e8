import request from 'supertest';
import { healthy, rider, rideCode } from '../support/factories';
import { holdCommits } from '../support/held-commit';
import { startStack, tap, testDatabaseUrl, uniqueId, type TestStack } from '../support/stack';

const PILOT = 'S0312';

describe('HTTP hardening: security headers, and readiness while draining', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // A held commit keeps its tap in hand (the default deadline would answer it within a second).
    stack = await startStack({ env: { TAP_DEADLINE_MS: '30000' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it.each([
    ['a public answer', '/health/live', 200],
    ['a refusal', '/riders/00000000-0000-4000-8000-000000000000/status', 401],
    ['an unknown path', '/no-such-path', 404],
    ['the API docs', '/docs-json', 200],
  ])('sends security headers and no X-Powered-By on %s', async (_what, path, status) => {
    const res = await request(stack.gw.url).get(path).expect(status);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
  });

  it('keeps the stricter policy of the consoles', async () => {
    const res = await request(stack.gw.url).get('/console/staff.html').expect(200);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['content-security-policy']).toContain("form-action 'none'");
  });

  // Last: it shuts the gateway down.
  it('answers readiness 503 "draining" from the start of shutdown while a tap is still in hand', async () => {
    const ready = await request(stack.gw.url).get('/health').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok' });

    const gateId = uniqueId('G');
    const held = await holdCommits(testDatabaseUrl(), gateId);
    try {
      const r = await rider(stack.gw.url, stack.authority.url, healthy(Date.now()));
      const code = await rideCode(stack.gw.url, r.riderId);
      const answered = tap(stack.nc, {
        stationId: PILOT,
        gateId,
        credential: { kind: 'ride-code', code },
      });
      await held.untilWaiting();
      expect(await held.waiting()).toBe(1);

      // The shutdown path SIGTERM takes (main.ts calls close()); it waits for the held tap.
      let closed = false;
      const closing = stack.gw.close().then(() => (closed = true));
      const draining = await request(stack.gw.url).get('/health');
      expect(draining.status).toBe(503);
      expect(draining.body).toMatchObject({ status: 'draining' });
      expect(closed).toBe(false);
      // Liveness still answers: the process is fine, only leaving.
      await request(stack.gw.url).get('/health/live').expect(200);

      await held.release();
      expect((await answered).outcome).toBe('open');
      await closing;
    } finally {
      await held.remove();
    }
  });
});
