import type { PrivateNats } from './nats-server';

/** Stops the private NATS server the global setup started, if any. */
export default async function globalTeardown(): Promise<void> {
  const g = globalThis as typeof globalThis & { __privateNats?: PrivateNats };
  await g.__privateNats?.dispose();
  g.__privateNats = undefined;
}
