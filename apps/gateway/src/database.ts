import { GatewayDataSource, type PoolSettings } from '@app/persistence';
import type { Logger } from './common/logger';
import type { GatewayConfig } from './config';

export type PoolRole = 'general' | 'admissions' | 'exports';

/**
 * The gateway's three pools, all DataSources of the one configuration in @app/persistence.
 * - general: the HTTP side, the tap path's batched reads, maintenance.
 * - admissions: the check-in commits (admit_taps) alone, so other traffic never queues a commit.
 *   Every bound is the tap deadline (TAP_DEADLINE_MS), the longest a tap may have left: the
 *   server cancels a statement past it (statement_timeout, which does not bound COMMIT), the
 *   client gives up on a server that stopped answering (query_timeout, a little later, so the
 *   server's cancel normally comes first) and on a connection it cannot get. The batcher answers
 *   each tap at its own deadline regardless; these only give the connections back.
 * - exports: trace exports, which hold a connection for as long as their reader reads (up to
 *   EXPORT_DEADLINE_MS, when the server cancels their statements and idle transaction too),
 *   EXPORT_CONNECTIONS at most, so a slow reader never holds a connection taps need.
 */
export function poolSettings(
  config: GatewayConfig,
  logger: Logger,
): Record<PoolRole, PoolSettings> {
  const onConnectionError = (pool: PoolRole) => (err: Error) =>
    logger.warn({ err: err.message, pool }, 'postgres connection error');
  return {
    general: {
      max: 8,
      statementTimeoutMs: 10_000,
      queryTimeoutMs: 11_000,
      connectionTimeoutMs: 2_000,
      onConnectionError: onConnectionError('general'),
    },
    admissions: {
      max: 4,
      statementTimeoutMs: config.tapDeadlineMs,
      queryTimeoutMs: config.tapDeadlineMs + 250,
      connectionTimeoutMs: config.tapDeadlineMs,
      onConnectionError: onConnectionError('admissions'),
    },
    exports: {
      max: config.exportConnections,
      statementTimeoutMs: config.exportDeadlineMs,
      idleInTransactionTimeoutMs: config.exportDeadlineMs,
      // An export beyond the pool waits this long for a connection, then gets EXPORT_BUSY.
      connectionTimeoutMs: 2_000,
      applicationName: 'gateway-export',
      onConnectionError: onConnectionError('exports'),
    },
  };
}

export interface GatewayDatabase {
  general: GatewayDataSource;
  admissions: GatewayDataSource;
  exports: GatewayDataSource;
  close(): Promise<void>;
}

/** Opens the pools (each connects once, so a wrong URL stops the boot here). */
export async function openDatabase(
  config: GatewayConfig,
  logger: Logger,
): Promise<GatewayDatabase> {
  const settings = poolSettings(config, logger);
  const general = new GatewayDataSource(config.databaseUrl, settings.general);
  const admissions = new GatewayDataSource(config.databaseUrl, settings.admissions);
  const exports = new GatewayDataSource(config.databaseUrl, settings.exports);
  const all = [general, admissions, exports];
  const close = async () => {
    await Promise.all(all.filter((ds) => ds.isInitialized).map((ds) => ds.destroy()));
  };
  try {
    for (const ds of all) await ds.initialize();
  } catch (e) {
    await close();
    throw e;
  }
  return { general, admissions, exports, close };
}
