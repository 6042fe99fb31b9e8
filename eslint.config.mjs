// @ts-check
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import jest from 'eslint-plugin-jest';
import tseslint from 'typescript-eslint';

/**
 * No import cycles between the gateway's folders (admissions/, gate/, cards/, ...): each folder
 * is a capability, and one that needs another's back is two capabilities in knots. The rule
 * reads the folder graph of apps/gateway/src once (non-test files; files at the root, the
 * composition root and config, are outside it) and reports an import whose folder reaches back.
 */
const GATEWAY_SRC = resolve(import.meta.dirname, 'apps/gateway/src');
const isTestFile = (f) => /\.(spec|int-spec|e2e-spec)\.ts$/.test(f);
const folderOf = (file) => {
  const parts = relative(GATEWAY_SRC, file).split(sep);
  return parts.length > 1 && parts[0] !== '..' ? parts[0] : null;
};
const IMPORT = /(?:from|import)\s*\(?\s*'(\.[^']*)'/g;
let folderGraph = null;
function gatewayFolderGraph() {
  const graph = new Map();
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !isTestFile(p)) {
        const from = folderOf(p);
        if (from === null) continue;
        for (const m of readFileSync(p, 'utf8').matchAll(IMPORT)) {
          const to = folderOf(resolve(dirname(p), m[1]));
          if (to === null || to === from) continue;
          if (!graph.has(from)) graph.set(from, new Set());
          graph.get(from).add(to);
        }
      }
    }
  };
  walk(GATEWAY_SRC);
  return graph;
}
const reaches = (graph, from, to) => {
  const seen = new Set([from]);
  const todo = [from];
  while (todo.length > 0) {
    for (const next of graph.get(todo.pop()) ?? []) {
      if (next === to) return true;
      if (!seen.has(next)) (seen.add(next), todo.push(next));
    }
  }
  return false;
};
const gatewayPlugin = {
  rules: {
    'no-folder-cycles': {
      meta: { type: 'problem', schema: [] },
      create(context) {
        const file = context.filename;
        const from = folderOf(file);
        if (from === null || isTestFile(file)) return {};
        folderGraph ??= gatewayFolderGraph();
        const check = (node) => {
          const spec = node.source?.value;
          if (typeof spec !== 'string' || !spec.startsWith('.')) return;
          const to = folderOf(resolve(dirname(file), spec));
          if (to !== null && to !== from && reaches(folderGraph, to, from))
            context.report({
              node,
              message: `${from}/ imports ${to}/, which imports ${from}/ back: an import cycle between folders`,
            });
        };
        return {
          ImportDeclaration: check,
          ExportNamedDeclaration: check,
          ExportAllDeclaration: check,
        };
      },
    },
  },
};

const testFiles = ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'];
const pureLibs = ['libs/decision/**', 'libs/protocol/**', 'libs/ride-code/**'];

export default defineConfig(
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      '.data/',
      'coverage/',
      '*.js',
      '*.mjs',
      '*.cjs',
      'scripts/*.cjs',
    ],
  },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Values crossing the wire are parsed and validated at the edges; these add noise, not safety.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // nats.js status types and Nest's HttpStatus are enums compared with literals by design.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      // Nest interface methods are often async without awaiting anything.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // The npm scripts are plain Node.
    files: ['scripts/**/*.mjs', 'scripts/**/*.cjs'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'AbortSignal',
          'Buffer',
          'URL',
          'clearTimeout',
          'console',
          'fetch',
          'process',
          'setTimeout',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: testFiles,
    extends: [jest.configs['flat/recommended']],
    rules: {
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
      // Narrowing a result union after asserting on it, and fast-check properties, need these.
      'jest/no-conditional-expect': 'off',
      // A test that asserts nothing cannot fail: an error, not a warning.
      'jest/expect-expect': [
        'error',
        { assertFunctionNames: ['expect', 'expect*', 'assert*', 'fc.assert'] },
      ],
      '@typescript-eslint/unbound-method': 'off',
      'jest/unbound-method': 'error',
    },
  },
  {
    // The authority stand-in plays another organisation's system: its own types, none of ours.
    files: ['apps/health-authority/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@app/*', '**/apps/gateway/**', '**/libs/**'],
              message:
                'The health-authority stand-in has its own types: import nothing of the gateway. What both sides must agree on is pinned in test/repo/authority-contract.spec.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/gateway/src/**/*.ts'],
    ignores: testFiles,
    plugins: { gateway: gatewayPlugin },
    rules: {
      'gateway/no-folder-cycles': 'error',
      // A capability's neighbours are one folder up; reach libs through their @app/* alias.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../../*'],
              message:
                'No deep relative imports: use the @app/* alias, or a sibling folder (../x).',
            },
          ],
        },
      ],
    },
  },
  {
    files: pureLibs,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@nestjs/*',
                'typeorm',
                'typeorm/*',
                'pg',
                'pg/*',
                'nats',
                'nats/*',
                '@app/persistence',
              ],
              message:
                'libs/decision, libs/protocol and libs/ride-code are pure: no framework, database or messaging imports. Pass values in from apps/.',
            },
          ],
        },
      ],
    },
  },
);
