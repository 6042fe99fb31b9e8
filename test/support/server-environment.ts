import { TestEnvironment } from 'jest-environment-node';

/** What a test file started and has not closed yet; stack.ts adds to it. */
export interface OpenServers {
  __openServers?: Set<{ close(): Promise<void> }>;
}

/**
 * Closes the servers a test file left open, after all of its hooks have run. A gateway whose
 * file's afterAll failed half-way would otherwise stay in the queue group and answer the next
 * file's taps with ride-code keys of its own (CODE_INVALID far from the cause).
 */
export default class ServerEnvironment extends TestEnvironment {
  override async teardown(): Promise<void> {
    const open = (this.global as OpenServers).__openServers;
    if (open?.size) await Promise.allSettled([...open].map((s) => s.close()));
    await super.teardown();
  }
}
