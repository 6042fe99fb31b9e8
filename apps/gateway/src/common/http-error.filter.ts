import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from './logger';
import { AppError, ERROR_STATUS, type ErrorCode } from './errors';

const HTTP_CODES: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

/** The stable code for a status Nest or body-parser chose: every answer carries an ErrorCode. */
const codeFor = (status: number): ErrorCode =>
  HTTP_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');

const send = (res: Response, status: number, code: ErrorCode, message: string): void => {
  res.status(status).json({ code, message });
};

/** The one place HTTP errors are shaped: `{ code, message }`, never a stack trace. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(e: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (e instanceof AppError) {
      const retry = e.details?.retryAfterSeconds;
      if (typeof retry === 'number') res.setHeader('Retry-After', String(retry));
      res.status(ERROR_STATUS[e.code]).json({ code: e.code, message: e.message, ...e.details });
      return;
    }
    if (e instanceof HttpException) {
      const status = e.getStatus();
      const body = e.getResponse();
      const raw =
        typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : body;
      const message = Array.isArray(raw)
        ? raw.join('; ')
        : typeof raw === 'string'
          ? raw
          : e.message;
      send(res, status, codeFor(status), message);
      return;
    }
    const err = e as { type?: string; status?: number; message?: string };
    // body-parser errors arrive as plain errors with a status.
    if (err.type === 'entity.too.large') {
      send(res, 413, 'PAYLOAD_TOO_LARGE', 'request body is too large');
      return;
    }
    if (err.type === 'entity.parse.failed') {
      send(res, 400, 'VALIDATION_FAILED', 'request body is not valid JSON');
      return;
    }
    // Other body-parser refusals (unsupported charset or encoding, aborted or short bodies):
    // the client's fault, with body-parser's own 4xx status and short message.
    if (typeof err.type === 'string' && typeof err.status === 'number' && err.status < 500) {
      send(res, err.status, codeFor(err.status), err.message ?? 'request body refused');
      return;
    }
    // PostgreSQL "data exception" (class 22: a NUL byte, a malformed uuid, a number out of
    // range) means a request value no validator caught: the request's fault, and the
    // driver's text is not for clients.
    const pgCode = (e as { code?: unknown }).code;
    if (typeof pgCode === 'string' && /^22[0-9A-Z]{3}$/.test(pgCode)) {
      this.log.warn({ pgCode }, 'request value refused by PostgreSQL');
      send(res, 400, 'VALIDATION_FAILED', 'a request value is not valid');
      return;
    }
    this.log.error({ err: err.message }, 'unhandled HTTP error');
    send(res, 500, 'INTERNAL', 'internal error');
  }
}
