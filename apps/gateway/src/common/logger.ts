import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs. Health values and ID numbers are never passed to a logger. */
export function createLogger(level: string, name = 'gateway'): Logger {
  return pino({
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
