import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { pinoHttp, type HttpLogger } from 'pino-http';
import type { Logger } from '../common/logger';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * A caller's request id is kept when it is a plain token: it is written into every log line of
 * the request, so anything that could forge a line or carry data (newlines, quotes, an ID
 * number's worth of free text) is replaced by a fresh one.
 */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && ACCEPTED_REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/** The route pattern (`/riders/:riderId/status`), never the path or query the caller sent. */
function routeOf(req: IncomingMessage): string | null {
  const route = (req as IncomingMessage & { route?: { path?: unknown } }).route;
  return typeof route?.path === 'string' ? route.path : null;
}

/**
 * The HTTP access log, on the gateway's own pino: one line per request, with the request id,
 * method, route pattern, status and duration. URLs are not logged at all (a query or a path may
 * carry an ID number), nor headers (bearer tokens) nor bodies.
 *
 * pino-http is mounted as a plain middleware rather than through nestjs-pino's: that one runs each
 * request inside an AsyncLocalStorage, and on Node 20 one such run turns on promise hooks for every
 * promise in the process for good: about 28 µs more CPU per gate tap at 256 in flight (alternating
 * benchmark runs). Nothing here logs through the request's context, so nothing is lost.
 */
export function accessLog(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    genReqId: requestId,
    quietReqLogger: true,
    customAttributeKeys: { responseTime: 'ms' },
    serializers: {
      req: (req: { id: unknown; method: unknown }) => ({ id: req.id, method: req.method }),
      res: (res: { statusCode: unknown }) => ({ statusCode: res.statusCode }),
      err: (err: { message?: unknown }) => ({ message: err.message }),
    },
    customSuccessObject: (req, _res, val: object) => ({ ...val, route: routeOf(req) }),
    customErrorObject: (req, _res, _err, val: object) => ({ ...val, route: routeOf(req) }),
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request failed',
    customLogLevel: (_req, res, err) =>
      err !== undefined || res.statusCode >= 500 ? 'error' : 'info',
  });
}

/**
 * nestjs-pino for Nest's own messages (boot, routes, exceptions), as JSON on the same pino. Its
 * request middleware is not mounted (no routes): the access log is `accessLog`.
 *
 * nestjs-pino keeps one root logger per process, made from the first gateway's logger: where one
 * process runs several gateways (some tests do), the later ones' Nest messages go to the first
 * one's logger. Access lines and tap lines always go to each gateway's own.
 */
export function nestLogParams(logger: Logger): Params {
  return { pinoHttp: { logger }, forRoutes: [] };
}
