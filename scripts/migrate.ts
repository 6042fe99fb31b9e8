/** npm run migrate [-- --revert]: applies (or reverts the last of) the TypeORM migrations. */
import { revertLastMigration, runMigrations } from '../libs/persistence/src';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/gateway';
  if (process.argv.includes('--revert')) {
    await revertLastMigration(url);
    process.stdout.write('reverted the last migration\n');
    return;
  }
  const applied = await runMigrations(url);
  process.stdout.write(
    applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n',
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`migrate: ${(e as Error).message}\n`);
  process.exit(1);
});
