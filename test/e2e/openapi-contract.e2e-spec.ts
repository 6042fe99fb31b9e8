import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_STATUS } from '../../apps/gateway/src/common/errors';
import { startAuthority, startTestGateway, type GatewayUnderTest } from '../support/stack';

interface Schema {
  type?: string;
  $ref?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: unknown;
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  enum?: unknown[];
}
interface Response {
  description: string;
  content?: Record<string, { schema?: Schema }>;
}
interface Operation {
  security?: Record<string, unknown>[];
  responses: Record<string, Response>;
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const ERROR_REF = '#/components/schemas/ErrorResponseDto';

function operations(doc: OpenApi) {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([m]) => METHODS.includes(m))
      .map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, method, path, op })),
  );
}

/** Calls an operation with no token; the guard runs before any pipe, so any value will do. */
function callWithoutToken(url: string, method: string, path: string) {
  const filled = path.replace(/\{(\w+)\}/g, (_all, name: string) =>
    /station/i.test(name) ? 'S0312' : randomUUID(),
  );
  const agent = request(url);
  switch (method) {
    case 'post':
      return agent.post(filled).send({});
    case 'put':
      return agent.put(filled).send({});
    case 'patch':
      return agent.patch(filled).send({});
    case 'delete':
      return agent.delete(filled);
    default:
      return agent.get(filled).buffer(false);
  }
}

/** Properties typed `object` with nothing said about their shape, named by where they are. */
function shapeless(schema: Schema, at: string): string[] {
  const found: string[] = [];
  const composed = schema.$ref ?? schema.allOf ?? schema.oneOf ?? schema.anyOf;
  if (
    schema.type === 'object' &&
    !schema.properties &&
    schema.additionalProperties === undefined &&
    composed === undefined
  )
    found.push(at);
  for (const [name, p] of Object.entries(schema.properties ?? {}))
    found.push(...shapeless(p, `${at}.${name}`));
  if (schema.items) found.push(...shapeless(schema.items, `${at}[]`));
  for (const s of [...(schema.allOf ?? []), ...(schema.oneOf ?? []), ...(schema.anyOf ?? [])])
    found.push(...shapeless(s, at));
  return found;
}

describe('the OpenAPI document is the HTTP contract', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let doc: OpenApi;

  beforeAll(async () => {
    authority = await startAuthority();
    gw = await startTestGateway(authority.url);
    doc = (await request(gw.url).get('/docs-json').expect(200)).body as OpenApi;
  });
  afterAll(async () => {
    await gw?.close();
    await authority?.close();
  });

  it('describes the error body with every stable error code', () => {
    const schema = doc.components.schemas.ErrorResponseDto;
    expect(schema.properties?.code.enum?.slice().sort()).toEqual(Object.keys(ERROR_STATUS).sort());
    expect(schema.properties?.message.type).toBe('string');
  });

  it('documents 401, 403 and 429 with the error body on every operation the guard protects, and only there', async () => {
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThan(40);
    const wrong: string[] = [];
    let guarded = 0;
    for (const { key, method, path, op } of ops) {
      const res = await callWithoutToken(gw.url, method, path);
      const protectedByGuard = res.status === 401;
      if (protectedByGuard) guarded++;
      const bearer = (op.security ?? []).some((s) => 'bearer' in s);
      if (bearer !== protectedByGuard)
        wrong.push(`${key}: bearer ${bearer}, guard ${protectedByGuard}`);
      if (!protectedByGuard) continue;
      for (const status of ['401', '403', '429']) {
        const ref = op.responses[status]?.content?.['application/json']?.schema?.$ref;
        if (ref !== ERROR_REF) wrong.push(`${key}: ${status} is ${ref ?? 'missing'}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(guarded).toBeGreaterThan(40);
  });

  it('gives every error response and the default the error body', () => {
    const wrong = operations(doc).flatMap(({ key, op }) =>
      Object.entries(op.responses)
        .filter(([status]) => status === 'default' || /^[45]/.test(status))
        // Readiness answers its own report with 503, for probes and people alike.
        .filter(([status]) => `${key} ${status}` !== 'GET /health 503')
        .filter(([, r]) => r.content?.['application/json']?.schema?.$ref !== ERROR_REF)
        .map(([status]) => `${key} ${status}`),
    );
    expect(wrong).toEqual([]);
  });

  it('types every successful response body, and no schema has a shapeless object', () => {
    const untyped = operations(doc).flatMap(({ key, op }) =>
      Object.entries(op.responses)
        .filter(([status]) => /^2/.test(status) && status !== '204')
        .filter(([, r]) => !Object.values(r.content ?? {}).some((c) => c.schema !== undefined))
        .map(([status]) => `${key} ${status}`),
    );
    expect(untyped).toEqual([]);
    const objects = Object.entries(doc.components.schemas).flatMap(([name, s]) =>
      shapeless(s, name),
    );
    expect(objects).toEqual([]);
  });

  it('serves the gate protocol as AsyncAPI at /asyncapi.json, the checked-in docs/asyncapi.json', async () => {
    const served = (await request(gw.url).get('/asyncapi.json').expect(200)).body as unknown;
    const file = JSON.parse(
      readFileSync(join(__dirname, '..', '..', 'docs', 'asyncapi.json'), 'utf8'),
    ) as unknown;
    expect(served).toEqual(file);
    expect(served).toMatchObject({ asyncapi: '3.0.0', channels: { tap: expect.any(Object) } });
  });
});
