import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { GatewayDataSource, MIGRATION_POOL, runMigrations } from '@app/persistence';
import { databaseName, maintenanceUrl, testDatabaseUrl } from '../support/db';

const run = promisify(execFile);

/**
 * The entities describe the schema the migrations build. These run on databases of their own,
 * empty at first, so nothing another test created can hide a difference.
 */
describe('entities and migrations', () => {
  const admin = new Client({ connectionString: maintenanceUrl(testDatabaseUrl()) });
  const created: string[] = [];

  async function emptyDatabase(): Promise<string> {
    const u = new URL(testDatabaseUrl());
    u.pathname = `/gateway_schema_${randomUUID().slice(0, 8)}_test`;
    await admin.query(`CREATE DATABASE "${databaseName(u.toString())}"`);
    created.push(databaseName(u.toString()));
    return u.toString();
  }

  let url: string;
  let ds: GatewayDataSource;

  beforeAll(async () => {
    await admin.connect();
    url = await emptyDatabase();
    await runMigrations(url);
    ds = new GatewayDataSource(url, MIGRATION_POOL);
    await ds.initialize();
  }, 60_000);

  afterAll(async () => {
    await ds?.destroy();
    // FORCE: a backend of a closed pool may still be exiting on a loaded machine.
    for (const name of created) {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
    await admin.end();
  });

  it('migration:generate finds nothing to do once every migration has run', async () => {
    // What `typeorm migration:generate` would write: columns, types, nullability, defaults,
    // keys, indexes, checks and foreign keys that the entities and the tables disagree on.
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('every table the migrations create has an entity, and every entity a table', async () => {
    // The schema builder only looks at tables that have an entity; this catches the others.
    const rows: { name: string }[] = await ds.query(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
         AND c.relname <> 'migrations'`,
    );
    const tables = rows.map((r) => r.name).sort();
    const entities = ds.entityMetadatas.map((m) => m.tableName).sort();
    expect(entities).toEqual(tables);
  });

  it('the schema builder does see a difference (a column made NOT NULL)', async () => {
    // Guards the two tests above against passing because nothing was compared.
    const riders = ds.getMetadata('riders');
    const name = riders.findColumnWithDatabaseName('name');
    if (!name) throw new Error('riders.name has no column metadata');
    name.isNullable = false;
    try {
      const pending = await ds.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([
        'ALTER TABLE "riders" ALTER COLUMN "name" SET NOT NULL',
      ]);
    } finally {
      name.isNullable = true;
    }
  });

  it('never synchronizes the schema from the entities, not even for schema:sync', async () => {
    await expect(ds.synchronize()).rejects.toThrow('write a migration');
  });

  it('instances starting at once on an empty database migrate it once, without a race', async () => {
    const fresh = await emptyDatabase();
    const applied = await Promise.all([
      runMigrations(fresh),
      runMigrations(fresh),
      runMigrations(fresh),
    ]);
    const counts = applied.map((names) => names.length).sort((a, b) => a - b);
    expect(counts).toEqual([0, 0, ds.migrations.length]);
  }, 60_000);

  it('the TypeORM CLI reverts, shows and runs migrations from the npm scripts', async () => {
    const npm = (script: string) =>
      run('npm', ['run', '--silent', script], {
        env: { ...process.env, DATABASE_URL: url },
        cwd: `${__dirname}/../..`,
      }).then((r) => r.stdout);
    const last = ds.migrations[ds.migrations.length - 1].name;
    if (!last) throw new Error('the last migration has no name');

    await npm('migration:revert');
    expect(await npm('migration:show')).toContain(`[ ] ${last}`);
    await npm('migration:run');
    const shown = await npm('migration:show');
    for (const m of ds.migrations) expect(shown).toMatch(new RegExp(`\\[X\\] \\d+ ${m.name}\\b`));
    // The reverted and re-run migration left the schema as the entities describe it.
    expect((await ds.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
  }, 120_000);
});
