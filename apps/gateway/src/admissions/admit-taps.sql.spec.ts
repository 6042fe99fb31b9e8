import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const live = join(__dirname, 'admit-taps.sql');
const frozenDir = join(__dirname, '..', '..', '..', '..', 'migrations', 'sql');

describe('admit-taps.sql, the live source of the admission SQL', () => {
  it('is what the latest migration froze: a change needs a new migration with its own copy', () => {
    const copies = readdirSync(frozenDir)
      .filter((f) => f.endsWith('-admit-taps.sql'))
      .sort();
    expect(copies.length).toBeGreaterThan(0);
    const latest = readFileSync(join(frozenDir, copies[copies.length - 1]), 'utf8');
    expect(readFileSync(live, 'utf8')).toBe(latest);
  });

  it('is applied by the migration named in its copy', () => {
    const migrations = readdirSync(join(frozenDir, '..')).filter((f) => f.endsWith('.ts'));
    for (const copy of readdirSync(frozenDir).filter((f) => f.endsWith('-admit-taps.sql'))) {
      const stamp = copy.split('-')[0];
      const migration = migrations.find((m) => m.startsWith(`${stamp}-`));
      expect(migration).toBeDefined();
      expect(readFileSync(join(frozenDir, '..', migration ?? ''), 'utf8')).toContain(copy);
    }
  });
});
