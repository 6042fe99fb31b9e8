import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import type { AuthorityConfig } from './config';

/**
 * JSON logs. Callers log ids, routes and counts only: never health values or ID numbers
 * (request URLs can carry an idNumber, so requests are logged by route pattern).
 */
export function createLogger(config: Pick<AuthorityConfig, 'logLevel'>): Logger {
  return pino({ name: 'health-authority', level: config.logLevel });
}

/** Routes Nest's own framework messages into the same pino stream. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}
  log(message: unknown, context?: string): void {
    this.pino.info({ context }, String(message));
  }
  error(message: unknown, stack?: string, context?: string): void {
    this.pino.error({ context, stack }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.pino.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.pino.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.pino.trace({ context }, String(message));
  }
}
