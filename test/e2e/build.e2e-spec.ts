import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? jsFiles(join(dir, e.name))
      : e.name.endsWith('.js')
        ? [join(dir, e.name)]
        : [],
  );
}

/**
 * `nest build` (the tsc builder, as `npm run build` and the container image run it) into a
 * directory of its own inside the checkout, so the compiled tree finds node_modules as dist does.
 */
describe('nest build', () => {
  const out = join(ROOT, '.data', `build-test-${process.pid}`);
  const tsconfig = join(out, 'tsconfig.json');
  let build: { status: number | null; stdout: string; stderr: string };

  beforeAll(() => {
    mkdirSync(out, { recursive: true });
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: relative(out, join(ROOT, 'tsconfig.build.json')),
        compilerOptions: { outDir: 'dist', tsBuildInfoFile: 'dist/.tsbuildinfo' },
      }),
    );
    build = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'nest'),
      ['build', '--path', relative(ROOT, tsconfig)],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
  }, 300_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('compiles the tree', () => {
    // The compiler's own words when it fails.
    expect(`exit ${build.status}\n${build.stdout}${build.stderr}`).toMatch(/^exit 0\n/);
  });

  it('leaves no @app/* alias for Node to resolve', () => {
    const dist = join(out, 'dist');
    const unresolved = jsFiles(dist).filter((f) =>
      /require\("@app\//.test(readFileSync(f, 'utf8')),
    );
    expect(unresolved.map((f) => relative(dist, f))).toEqual([]);
  });

  it('runs under plain node, with no path hook', () => {
    // The gateway's database module imports @app/persistence; config checks its exports load.
    const entry = join(out, 'dist', 'apps', 'gateway', 'src', 'database.js');
    const r = spawnSync(
      process.execPath,
      ['-e', `const m = require(${JSON.stringify(entry)}); console.log(Object.keys(m).length)`],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
    );
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(Number(r.stdout.trim())).toBeGreaterThan(0);
  });
});
