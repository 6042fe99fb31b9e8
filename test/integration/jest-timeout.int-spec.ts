import { SERVER_TEST_TIMEOUT_MS } from '../support/server-timeout';

describe('jest configuration of the server tiers', () => {
  it('gives each test the server bound, not jest’s 5 s default', () => {
    // jest.setTimeout stores the bound where jest-circus reads it for every test.
    const bound = (globalThis as Record<symbol, unknown>)[Symbol.for('TEST_TIMEOUT_SYMBOL')];
    expect(bound).toBe(SERVER_TEST_TIMEOUT_MS);
  });
});
