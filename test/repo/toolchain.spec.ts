import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const json = <T>(file: string): T => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as T;

interface Pkg {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}
interface LockEntry {
  optionalDependencies?: Record<string, string>;
  os?: string[];
}
const pkg = json<Pkg>('package.json');
const nest = json<{
  compilerOptions: { builder: string; tsConfigPath: string };
  projects: Record<string, { type: string; root: string; sourceRoot: string }>;
}>('nest-cli.json');
const tsconfig = json<{ compilerOptions: { paths: Record<string, string[]> } }>('tsconfig.json');

describe('the Nest toolchain', () => {
  it('nest-cli.json names every app and every lib, built with tsc', () => {
    expect(nest.compilerOptions.builder).toBe('tsc');
    const dirs = (d: string) =>
      readdirSync(join(ROOT, d), { withFileTypes: true })
        .filter((e) => e.isDirectory() && readdirSync(join(ROOT, d, e.name)).includes('src'))
        .map((e) => `${d}/${e.name}`);
    const roots = Object.values(nest.projects).map((p) => p.root);
    expect(roots.sort()).toEqual([...dirs('apps'), ...dirs('libs')].sort());
  });

  it('every @app/* alias is a library of the Nest monorepo', () => {
    const libs = Object.values(nest.projects)
      .filter((p) => p.type === 'library')
      .map((p) => p.sourceRoot)
      .sort();
    const aliases = Object.values(tsconfig.compilerOptions.paths)
      .map(([target]) => target)
      .sort();
    expect(aliases).toEqual(libs);
  });

  it('the compiler, ts-node and path hooks are development tools; production runs dist', () => {
    for (const tool of ['typescript', 'ts-node', 'tsconfig-paths', '@nestjs/cli']) {
      expect({ tool, runtime: pkg.dependencies[tool] }).toEqual({ tool, runtime: undefined });
      expect(pkg.devDependencies[tool]).toMatch(/^\d+\.\d+\.\d+$/);
    }
    expect(pkg.scripts.build).toBe('nest build');
    expect(pkg.scripts['start:dev']).toBe('nest start gateway --watch');
    expect(pkg.scripts['start:prod']).toBe('node dist/apps/gateway/src/main.js');
  });

  it('every dependency is pinned to an exact version', () => {
    for (const [name, v] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies }))
      expect({ name, v }).toEqual({ name, v: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
  });
});

describe('the lockfile installs on Linux, macOS and Windows', () => {
  const lock = json<{ packages: Record<string, LockEntry> }>('package-lock.json');

  it('keeps every optional dependency a package declares (platform bindings included)', () => {
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        // npm looks beside the package first, then up the tree.
        const nested = `${path ? `${path}/` : ''}node_modules/${name}`;
        if (!lock.packages[nested] && !lock.packages[`node_modules/${name}`])
          missing.push(`${path} -> ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("has jest's native resolver for macOS (both CPUs), Windows and Linux", () => {
    const bindings = Object.keys(lock.packages).filter((p) =>
      p.startsWith('node_modules/@unrs/resolver-binding-'),
    );
    for (const platform of ['darwin-arm64', 'darwin-x64', 'win32-x64-msvc', 'linux-x64-gnu'])
      expect(bindings).toContain(`node_modules/@unrs/resolver-binding-${platform}`);
  });
});
