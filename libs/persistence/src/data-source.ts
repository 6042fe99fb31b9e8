import type { Pool, PoolClient } from 'pg';
import { DataSource, type QueryRunner } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { MIGRATIONS } from '../../../migrations';
import { ENTITIES } from './entities';

/** Serialises migrations across instances: the first migrates, the others wait, then find nothing to do. */
const MIGRATION_LOCK = 727274;

/** What differs between the gateway's pools; everything else is one configuration. */
export interface PoolSettings {
  /** Connections the pool opens at most. */
  max: number;
  /** Server-side bound on each statement (not on COMMIT); 0 for none. */
  statementTimeoutMs: number;
  connectionTimeoutMs: number;
  /**
   * Told when a connection breaks (the server restarted or ended the backend, a proxy cut it).
   * pg emits that as an 'error' event, on the pool for an idle connection and on the client for
   * one that is checked out: without a listener either is an uncaught exception.
   */
  onConnectionError: (err: Error) => void;
  /** Names the pool's backends in pg_stat_activity. */
  applicationName?: string;
  /** Server-side bound on a transaction left idle (a reader that stopped reading); 0 for none. */
  idleInTransactionTimeoutMs?: number;
  /**
   * Client-side bound on a query: a server that stopped answering (frozen, or a failover with no
   * TCP reset) cancels nothing, so the client gives up, and its connection is discarded.
   */
  queryTimeoutMs?: number;
}

/** For one-off work (migrations, the CLI): a small pool and no statement bound. */
export const MIGRATION_POOL: PoolSettings = {
  max: 2,
  statementTimeoutMs: 0,
  connectionTimeoutMs: 10_000,
  onConnectionError: () => undefined,
};

/**
 * The one DataSource configuration: the app's pools, the migrations and the TypeORM CLI all
 * start from here. Entities describe the tables; the migrations build them. Never synchronize.
 */
export function dataSourceOptions(url: string, pool: PoolSettings): PostgresConnectionOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each',
    migrationsRun: false,
    synchronize: false,
    // Extensions are the migrations' business, never the boot's.
    installExtensions: false,
    logging: false,
    poolErrorHandler: pool.onConnectionError,
    extra: {
      max: pool.max,
      connectionTimeoutMillis: pool.connectionTimeoutMs,
      ...(pool.statementTimeoutMs > 0 ? { statement_timeout: pool.statementTimeoutMs } : {}),
      ...(pool.applicationName ? { application_name: pool.applicationName } : {}),
      ...(pool.idleInTransactionTimeoutMs
        ? { idle_in_transaction_session_timeout: pool.idleInTransactionTimeoutMs }
        : {}),
      ...(pool.queryTimeoutMs ? { query_timeout: pool.queryTimeoutMs } : {}),
    },
  };
}

type MigrationOptions = Parameters<DataSource['runMigrations']>[0];
type UndoOptions = Parameters<DataSource['undoLastMigration']>[0];

/**
 * A DataSource whose migrations (run or revert, from the app or the CLI) hold an advisory
 * lock, and which refuses to synchronize the schema from the entities.
 */
export class GatewayDataSource extends DataSource {
  constructor(
    url: string,
    private readonly settings: PoolSettings,
  ) {
    super(dataSourceOptions(url, settings));
  }

  override async initialize(): Promise<this> {
    await super.initialize();
    listenWhileHeld(pgPool(this), this.settings.onConnectionError);
    return this;
  }

  override runMigrations(options?: MigrationOptions): ReturnType<DataSource['runMigrations']> {
    return this.underMigrationLock(() => super.runMigrations(options));
  }

  override undoLastMigration(options?: UndoOptions): Promise<void> {
    return this.underMigrationLock(() => super.undoLastMigration(options));
  }

  override synchronize(): Promise<void> {
    return Promise.reject(
      new Error('the schema is never synchronized from entities: write a migration'),
    );
  }

  /** The lock is a session's: it is taken and given back on one connection of its own. */
  private async underMigrationLock<T>(work: () => Promise<T>): Promise<T> {
    const runner: QueryRunner = this.createQueryRunner();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      try {
        return await work();
      } finally {
        // A lost connection has already given the lock back with its session.
        await runner
          .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK])
          .catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
  }
}

/**
 * pg-pool listens for errors only on idle clients; a client checked out with `pool.connect()`
 * (a transaction, a batch) has no listener until it is released. Each client gets one listener
 * of its own the first time it is handed out, so a backend ended mid-hold is logged, and the
 * query or release that follows sees the broken connection.
 */
function listenWhileHeld(pool: Pool, onError: (err: Error) => void): void {
  const listening = new WeakSet<PoolClient>();
  pool.on('acquire', (client) => {
    if (listening.has(client)) return;
    listening.add(client);
    client.on('error', onError);
  });
}

/**
 * The pg pool under a DataSource. The set-based hot path (admit_taps, batched reads of the
 * tap path) queries it directly: one round trip, no query runner per call.
 */
export function pgPool(ds: DataSource): Pool {
  return (ds.driver as PostgresDriver).master as Pool;
}
