// Three tiers: pure unit tests, integration on real PostgreSQL/NATS, e2e over HTTP and raw NATS.
const moduleNameMapper = {
  '^@app/protocol$': '<rootDir>/libs/protocol/src',
  '^@app/decision$': '<rootDir>/libs/decision/src',
  '^@app/ride-code$': '<rootDir>/libs/ride-code/src',
  '^@app/persistence$': '<rootDir>/libs/persistence/src',
  '^@app/access-token$': '<rootDir>/libs/access-token/src',
};
const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
};
// Tiers that start real servers get a longer bound per test (test/support/server-timeout.ts):
// jest ignores `testTimeout` inside a project, so a setup file sets it.
const servers = {
  ...base,
  testEnvironment: '<rootDir>/test/support/server-environment.ts',
  setupFilesAfterEnv: ['<rootDir>/test/support/server-timeout.ts'],
};
module.exports = {
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/{libs,apps,gate-sim,test/repo}/**/*.spec.ts'],
    },
    {
      ...servers,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    {
      ...servers,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    {
      ...servers,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    {
      // Fault injection on real processes (npm run test:faults): slow, run on its own.
      ...servers,
      displayName: 'faults',
      testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
