import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { asRider, person, proveIdentity } from '../support/factories';
import { startStack, type TestStack } from '../support/stack';

interface LogLine {
  level: number;
  msg?: string;
  context?: string;
  req?: Record<string, unknown>;
  res?: { statusCode: number };
  ms?: number;
  route?: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One pino for Nest, HTTP and taps: every line is JSON, and the access log says no secrets. */
describe('logs: Nest and HTTP requests on the gateway pino', () => {
  let stack: TestStack;
  const lines = (): LogLine[] =>
    stack.gw.logs.text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as LogLine);
  const accessLine = (id: string): LogLine | undefined =>
    lines().find((l) => l.msg === 'request completed' && l.req?.id === id);
  /** pino-http writes the line when the response finishes, which may follow the reply. */
  async function waitForAccessLine(id: string): Promise<LogLine> {
    for (let i = 0; i < 100; i++) {
      const line = accessLine(id);
      if (line) return line;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no access log line for request ${id}`);
  }

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("writes Nest's own messages as JSON lines with their context", () => {
    // Every line parses (lines() throws otherwise), and Nest's start-up messages are among them.
    const nest = lines().filter((l) => typeof l.context === 'string');
    expect(nest.map((l) => l.context)).toEqual(
      expect.arrayContaining(['InstanceLoader', 'RoutesResolver', 'NestApplication']),
    );
    expect(nest.some((l) => l.msg === 'Nest application successfully started')).toBe(true);
  });

  it('logs a request with the id the caller sent, its route pattern, status and duration', async () => {
    const riderId = randomUUID();
    const id = `trace-${randomBytes(4).toString('hex')}`;
    const res = await request(stack.gw.url)
      .get(`/riders/${riderId}/status`)
      .set(await asRider(riderId))
      .set('X-Request-Id', id);
    expect(res.headers['x-request-id']).toBe(id);
    const line = await waitForAccessLine(id);
    expect(line).toMatchObject({
      level: 30,
      req: { id, method: 'GET' },
      res: { statusCode: res.status },
      route: '/riders/:riderId/status',
    });
    expect(typeof line.ms).toBe('number');
    // The route pattern, never the path the caller sent.
    expect(JSON.stringify(line)).not.toContain(riderId);
  });

  it('generates a request id when none is sent, or the one sent is not a plain token', async () => {
    const none = await request(stack.gw.url).get('/health/live').expect(200);
    const generated = none.headers['x-request-id'];
    expect(generated).toMatch(UUID);
    expect((await waitForAccessLine(generated)).route).toBe('/health/live');

    const forged = 'x" ,"level":60,"msg":"forged';
    const replaced = await request(stack.gw.url)
      .get('/health/live')
      .set('X-Request-Id', forged)
      .expect(200);
    const id = replaced.headers['x-request-id'];
    expect(id).toMatch(UUID);
    await waitForAccessLine(id);
    expect(stack.gw.logs.text).not.toContain('forged');
  });

  it('never logs a body, a query value, an ID number or a bearer token', async () => {
    const name = `NAME-${randomBytes(6).toString('hex')}`;
    const idNumber = await person(stack.authority.url, { name, colour: 'green' });
    const riderId = randomUUID();
    const auth = await asRider(riderId);
    // Registration exchanges a sign-in code whose answer carries the ID number.
    const proof = await proveIdentity(stack.gw.url, riderId, idNumber, 'register');
    const created = await request(stack.gw.url)
      .post('/riders')
      .set(auth)
      .set('X-Request-Id', 'post-rider-1')
      .send(proof)
      .expect(201);
    // The same ID number in a query string (refused, and still not logged).
    await request(stack.gw.url)
      .get(`/riders/${riderId}/status?idNumber=${idNumber}`)
      .set(auth)
      .set('X-Request-Id', 'query-id-1');
    const line = await waitForAccessLine('post-rider-1');
    expect(line).toMatchObject({ route: '/riders', res: { statusCode: created.status } });
    await waitForAccessLine('query-id-1');
    const token = auth.authorization.slice('Bearer '.length);
    const text = stack.gw.logs.text;
    expect(text).not.toContain(idNumber);
    expect(text).not.toContain(name);
    expect(text).not.toContain(token);
    expect(text).not.toContain('idNumber=');
    expect(text).not.toContain(proof.code);
  });
});
