/**
 * The DataSource the TypeORM CLI loads (`npm run migration:show|run|revert|generate`): the
 * app's configuration, pointed at DATABASE_URL.
 */
import 'reflect-metadata';
import { GatewayDataSource, MIGRATION_POOL } from './data-source';

export default new GatewayDataSource(
  process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/gateway',
  MIGRATION_POOL,
);
