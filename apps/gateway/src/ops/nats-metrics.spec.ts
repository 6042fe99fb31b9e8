import { Events, type NatsConnection, type Status } from 'nats';
import { Metrics } from './metrics';
import { countReconnects } from './nats-metrics';

/** A connection whose status stream is the given events, then its close. */
const connection = (events: Status['type'][]): Pick<NatsConnection, 'status'> => ({
  status: () =>
    (async function* () {
      for (const type of events) yield { type, data: '' };
    })(),
});

describe('gateway_nats_reconnects_total', () => {
  it('counts reconnects, not disconnects or other status events', async () => {
    const metrics = new Metrics();
    await countReconnects(
      connection([
        Events.Disconnect,
        Events.Reconnect,
        Events.Update,
        Events.Disconnect,
        Events.Reconnect,
      ]),
      metrics.natsReconnects,
    );
    expect(await metrics.registry.getSingleMetricAsString('gateway_nats_reconnects_total')).toMatch(
      /^gateway_nats_reconnects_total 2$/m,
    );
  });
});
