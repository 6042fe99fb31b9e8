import { GatewayDataSource, MIGRATION_POOL } from './data-source';

async function withMigrationSource<T>(
  url: string,
  work: (ds: GatewayDataSource) => Promise<T>,
): Promise<T> {
  const ds = new GatewayDataSource(url, MIGRATION_POOL);
  await ds.initialize();
  try {
    return await work(ds);
  } finally {
    await ds.destroy();
  }
}

/** Runs pending migrations (never `synchronize`), one transaction each; returns the names it applied. */
export async function runMigrations(url: string): Promise<string[]> {
  return withMigrationSource(url, async (ds) => (await ds.runMigrations()).map((m) => m.name));
}

export async function revertLastMigration(url: string): Promise<void> {
  await withMigrationSource(url, (ds) => ds.undoLastMigration({ transaction: 'each' }));
}
