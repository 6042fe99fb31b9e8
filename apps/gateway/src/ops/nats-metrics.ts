import { Events, type NatsConnection } from 'nats';
import type { Counter } from 'prom-client';

/** Counts every reconnect of `nc` until it closes. */
export async function countReconnects(
  nc: Pick<NatsConnection, 'status'>,
  reconnects: Pick<Counter, 'inc'>,
): Promise<void> {
  for await (const s of nc.status()) if (s.type === Events.Reconnect) reconnects.inc();
}
