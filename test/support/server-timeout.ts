// Tiers that start real servers get a bound that a loaded 2-core machine can meet; a test still
// fails at once when what it waits for cannot happen. Jest reads `testTimeout` only from the
// top-level config, never from a project, so the server projects set it here.
export const SERVER_TEST_TIMEOUT_MS = 30_000;
jest.setTimeout(SERVER_TEST_TIMEOUT_MS);
