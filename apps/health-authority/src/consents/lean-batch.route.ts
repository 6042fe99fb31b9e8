import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { HttpException } from '@nestjs/common';
import type { Logger } from 'pino';
import { ApiKeyCheck } from '../common/api-key.middleware';
import type { ErrorBody } from '../common/errors';
import { MAX_BATCH } from './consents.dto';
import type { ConsentsService } from './consents.service';

export const BATCH_PATH = '/v1/consents/status:batch';

/** The JSON body parser's limit (100 kB), so a batch too large here is too large there. */
const BODY_LIMIT = 100 * 1024;

const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8']);
const EACH = 'each of consentIds must be 1 to 64 characters';

/**
 * BatchStatusDto under the validation pipe, checked by hand: the message of the first failure
 * the pipe would report (class-validator runs a property's decorators from the last declared,
 * and the pipe reports the first), or null when the body is a valid batch.
 */
export function checkBatchBody(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'body must be a JSON object';
  // The pipe lets through a key naming something every object inherits ("__proto__",
  // "constructor", "toString", ...) and "prototype": its transformer does not copy them.
  for (const key of Object.keys(body))
    if (key !== 'consentIds' && key !== 'prototype' && !(key in Object.prototype))
      return `property ${key} should not exist`;
  const ids = (body as { consentIds?: unknown }).consentIds;
  if (Array.isArray(ids)) {
    // @Length(each), then @IsString(each): both fail on the same elements.
    for (const id of ids as unknown[])
      if (typeof id !== 'string' || id.length < 1 || id.length > 64) return EACH;
    if (ids.length > MAX_BATCH) return `consentIds must contain no more than ${MAX_BATCH} elements`;
    if (ids.length < 1) return 'consentIds must contain at least 1 elements';
    return null;
  }
  // Not an array: "each" checks the value itself, and the array checks fail after it.
  if (typeof ids !== 'string' || ids.length < 1 || ids.length > 64) return EACH;
  return `consentIds must contain no more than ${MAX_BATCH} elements`;
}

/**
 * The body as the JSON body parser (strict) reads it: a BOM dropped, an empty body as {}, only an
 * object or an array at the top. A string is the parser's error message, naming the offending
 * text as it does.
 */
export function parseJsonBody(raw: Buffer): { body: unknown } | string {
  const text = raw.toString('utf8').replace(/^\uFEFF/, '');
  if (text.length === 0) return { body: {} };
  const first = /^[ \t\n\r]*([^ \t\n\r]|$)/.exec(text)?.[1] || undefined;
  if (first !== '{' && first !== '[') {
    // As the parser does: the native message for the text from the offending character on.
    const index = first === undefined ? -1 : text.indexOf(first);
    const partial = index === -1 ? '' : text.slice(0, index) + '#'.repeat(text.length - index);
    try {
      JSON.parse(partial);
      return 'strict violation';
    } catch (e) {
      return (e as Error).message.replace(/#+/g, (p) => text.substring(index, index + p.length));
    }
  }
  try {
    return { body: JSON.parse(text) as unknown };
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * POST /v1/consents/status:batch, answered before Express and Nest see the request: the gateway
 * sends one per lookup batch, and the framework's routing, body parsing and class-validator cost
 * several times the lookup itself, which distorted the benchmark. Same contract as the Nest route
 * (kept for the OpenAPI document and for anything unusual): the same key check, validation,
 * messages, faults and answers. A request it does not recognise as an ordinary batch (another
 * content type or encoding, a query string, a missing or wrong key) goes on to Express unchanged.
 */
export class LeanBatchRoute {
  constructor(
    private readonly consents: ConsentsService,
    private readonly apiKey: ApiKeyCheck,
    private readonly log: Logger,
  ) {}

  /** Puts the route in front of the server's Express handler. */
  install(server: Server): void {
    const next = server.listeners('request') as ((
      req: IncomingMessage,
      res: ServerResponse,
    ) => void)[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (!this.handle(req, res)) for (const l of next) l.call(server, req, res);
    });
  }

  /** True when the request is taken here. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST' || req.url !== BATCH_PATH) return false;
    const type = req.headers['content-type'];
    if (type === undefined || !JSON_TYPES.has(type.toLowerCase())) return false;
    if (req.headers['content-encoding'] !== undefined) return false;
    if (!this.apiKey.matches(req.headers['x-api-key'])) return false;
    const started = performance.now();
    res.on('finish', () => {
      if (this.log.isLevelEnabled('info'))
        this.log.info(
          {
            method: 'POST',
            route: BATCH_PATH,
            status: res.statusCode,
            ms: Math.round((performance.now() - started) * 10) / 10,
          },
          'request',
        );
    });
    const declared = Number(req.headers['content-length']);
    if (declared > BODY_LIMIT) {
      req.resume();
      this.error(res, 413, { code: 'PAYLOAD_TOO_LARGE', message: 'body is too large' });
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > BODY_LIMIT) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (tooLarge) {
        this.error(res, 413, { code: 'PAYLOAD_TOO_LARGE', message: 'body is too large' });
        return;
      }
      void this.answer(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size), res);
    });
    req.on('error', () => res.destroy());
    return true;
  }

  private async answer(raw: Buffer, res: ServerResponse): Promise<void> {
    const parsed = parseJsonBody(raw);
    if (typeof parsed === 'string') {
      this.error(res, 400, {
        code: 'MALFORMED_REQUEST',
        message: `request could not be parsed: ${parsed}`,
      });
      return;
    }
    const body = parsed.body;
    const invalid = checkBatchBody(body);
    if (invalid !== null) {
      this.error(res, 400, { code: 'MALFORMED_REQUEST', message: invalid });
      return;
    }
    try {
      const statuses = await this.consents.statuses((body as { consentIds: string[] }).consentIds);
      this.send(res, 200, JSON.stringify({ statuses }));
    } catch (e) {
      if (e instanceof HttpException) {
        this.error(res, e.getStatus(), e.getResponse() as ErrorBody);
        return;
      }
      this.log.error(
        { err: e instanceof Error ? { name: e.name, stack: e.stack } : undefined },
        'unhandled error',
      );
      this.error(res, 500, { code: 'INTERNAL', message: 'internal error' });
    }
  }

  private error(res: ServerResponse, status: number, body: ErrorBody): void {
    this.send(res, status, JSON.stringify({ code: body.code, message: body.message }));
  }

  private send(res: ServerResponse, status: number, json: string): void {
    if (res.headersSent) return;
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(json),
    });
    res.end(json);
  }
}
