import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../../migrations';

/** Runs pending migrations (never `synchronize`); returns the names it applied. */
export async function runMigrations(url: string): Promise<string[]> {
  const ds = new DataSource({
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsRun: false,
    logging: false,
  });
  await ds.initialize();
  try {
    // An advisory lock lets several instances start at once without racing the migrations.
    await ds.query('SELECT pg_advisory_lock(727274)');
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await ds.query('SELECT pg_advisory_unlock(727274)');
    }
  } finally {
    await ds.destroy();
  }
}

export async function revertLastMigration(url: string): Promise<void> {
  const ds = new DataSource({ type: 'postgres', url, migrations: MIGRATIONS, logging: false });
  await ds.initialize();
  try {
    await ds.undoLastMigration({ transaction: 'each' });
  } finally {
    await ds.destroy();
  }
}
