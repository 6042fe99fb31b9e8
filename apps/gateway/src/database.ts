import { GatewayDataSource, type PoolSettings } from '@app/persistence';
import type { Logger } from './common/logger';
import type { GatewayConfig } from './config';

export type PoolRole = 'general' | 'admissions';

/**
 * The gateway's two pools, both DataSources of the one configuration in @app/persistence.
 * - general: the HTTP side, the tap path's batched reads, maintenance.
 * - admissions: the check-in commits (admit_taps) alone, so other traffic never queues a commit.
 *   Its statement_timeout is the commit bound: the server cancels a commit that cannot finish
 *   in time, and it leaves no row. (statement_timeout does not bound COMMIT itself.)
 */
export function poolSettings(
  config: GatewayConfig,
  logger: Logger,
): Record<PoolRole, PoolSettings> {
  const onIdleError = (pool: PoolRole) => (err: Error) =>
    logger.warn({ err: err.message, pool }, 'postgres idle client error');
  return {
    general: {
      max: 8,
      statementTimeoutMs: 10_000,
      connectionTimeoutMs: 2_000,
      onIdleError: onIdleError('general'),
    },
    admissions: {
      max: 4,
      statementTimeoutMs: config.checkInCommitTimeoutMs,
      connectionTimeoutMs: 2_000,
      onIdleError: onIdleError('admissions'),
    },
  };
}

export interface GatewayDatabase {
  general: GatewayDataSource;
  admissions: GatewayDataSource;
  close(): Promise<void>;
}

/** Opens both pools (each connects once, so a wrong URL stops the boot here). */
export async function openDatabase(
  config: GatewayConfig,
  logger: Logger,
): Promise<GatewayDatabase> {
  const settings = poolSettings(config, logger);
  const general = new GatewayDataSource(config.databaseUrl, settings.general);
  const admissions = new GatewayDataSource(config.databaseUrl, settings.admissions);
  await general.initialize();
  try {
    await admissions.initialize();
  } catch (e) {
    await general.destroy();
    throw e;
  }
  return {
    general,
    admissions,
    async close() {
      const open = [general, admissions].filter((ds) => ds.isInitialized);
      await Promise.all(open.map((ds) => ds.destroy()));
    },
  };
}
