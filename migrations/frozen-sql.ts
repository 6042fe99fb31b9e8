import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The text of a frozen SQL copy in migrations/sql. A migration applies the copy it was written
 * with, never the live source, so running it later does what it did then. Found beside this
 * file when run from source, and in the repository's migrations/sql from a compiled build.
 */
export function frozenSql(file: string): string {
  const candidates = [join(__dirname, 'sql', file), join(process.cwd(), 'migrations', 'sql', file)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`frozen SQL ${file} not found`);
  return readFileSync(found, 'utf8');
}
