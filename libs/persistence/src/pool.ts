import { Pool, type PoolConfig } from 'pg';

export interface PoolLogger {
  warn(obj: object, msg: string): void;
}

/**
 * A pg pool that survives a database restart: without an 'error' listener an idle client's
 * lost connection is an uncaught exception that kills the process.
 */
export function createPool(
  connectionString: string,
  logger: PoolLogger,
  extra: PoolConfig = {},
): Pool {
  // statement_timeout frees a connection stuck behind a lock; callers bound their own waits.
  const pool = new Pool({
    connectionString,
    max: 10,
    connectionTimeoutMillis: 2_000,
    statement_timeout: 10_000,
    ...extra,
  });
  pool.on('error', (err) => logger.warn({ err: err.message }, 'postgres idle client error'));
  return pool;
}
