import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Inject,
} from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from 'pino';
import type { ErrorBody, ErrorCode } from './errors';
import { LOGGER } from './tokens';

const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  [HttpStatus.BAD_REQUEST]: 'MALFORMED_REQUEST',
  [HttpStatus.UNAUTHORIZED]: 'UNAUTHENTICATED',
  [HttpStatus.NOT_FOUND]: 'NOT_FOUND',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'PAYLOAD_TOO_LARGE',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'UNAVAILABLE',
};

const isErrorBody = (x: unknown): x is ErrorBody =>
  typeof x === 'object' &&
  x !== null &&
  typeof (x as ErrorBody).code === 'string' &&
  typeof (x as ErrorBody).message === 'string';

/** Body-parser errors (bad JSON, too large) arrive as plain errors carrying status and type. */
interface ParserError {
  status: number;
  type: string;
}
const isParserError = (x: unknown): x is ParserError =>
  typeof x === 'object' &&
  x !== null &&
  typeof (x as ParserError).status === 'number' &&
  typeof (x as ParserError).type === 'string';

/** The one place where any failure becomes `{ code, message }`. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const [status, body] = this.translate(exception);
    if (status >= 500 && status !== HttpStatus.SERVICE_UNAVAILABLE) {
      this.log.error(
        {
          err:
            exception instanceof Error
              ? { name: exception.name, stack: exception.stack }
              : undefined,
        },
        'unhandled error',
      );
    }
    if (!res.headersSent) res.status(status).json(body);
  }

  private translate(exception: unknown): [number, ErrorBody] {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      if (isErrorBody(response))
        return [status, { code: response.code, message: response.message }];
      // Nest maps body-parser's SyntaxError and Express's URIError to a bare 400.
      const message =
        status === HttpStatus.BAD_REQUEST
          ? `request could not be parsed: ${exception.message}`
          : exception.message;
      return [
        status,
        {
          code: CODE_BY_STATUS[status] ?? (status < 500 ? 'MALFORMED_REQUEST' : 'INTERNAL'),
          message,
        },
      ];
    }
    if (isParserError(exception) && exception.status < 500) {
      if (exception.type === 'entity.parse.failed')
        return [400, { code: 'MALFORMED_REQUEST', message: 'body is not valid JSON' }];
      if (exception.type === 'entity.too.large')
        return [413, { code: 'PAYLOAD_TOO_LARGE', message: 'body is too large' }];
      return [
        exception.status,
        {
          code: CODE_BY_STATUS[exception.status] ?? 'MALFORMED_REQUEST',
          message: 'request body could not be read',
        },
      ];
    }
    return [500, { code: 'INTERNAL', message: 'internal error' }];
  }
}
