import type { NatsConnection } from 'nats';
import { parseInstant } from '@app/protocol';
import { fixedClock } from '../../apps/gateway/src/common/clock';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { rideCode, rider } from '../support/factories';
import {
  natsClient,
  startAuthority,
  startTestGateway,
  tap,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';

const at = (iso: string): number => parseInstant(iso) as number;

/** The decree "from 6/1 00:00, 72 hours", end to end, with the gateway's clock set to 2022. */
describe('the 2022 window switch at a gate', () => {
  const clock = fixedClock(at('2022-05-31T23:59:00.000+08:00'));
  let authority: RunningAuthority;
  let gw: GatewayUnderTest;
  let nc: NatsConnection;

  beforeAll(async () => {
    authority = await startAuthority();
    gw = await startTestGateway(authority.url, { clock });
    nc = await natsClient();
  });

  afterAll(async () => {
    await nc.drain();
    await gw.close();
    await authority.close();
  });

  it.each([
    ['2022-05-31T23:59:00.000+08:00', 'see-staff', ['TEST_EXPIRED'], 'rv-20220530-pilot'],
    ['2022-05-31T23:59:59.999+08:00', 'see-staff', ['TEST_EXPIRED'], 'rv-20220530-pilot'],
    ['2022-06-01T00:00:00.000+08:00', 'open', [], 'rv-20220601-pilot'],
    ['2022-06-01T00:59:59.999+08:00', 'open', [], 'rv-20220601-pilot'],
    ['2022-06-01T01:00:00.000+08:00', 'see-staff', ['TEST_EXPIRED'], 'rv-20220601-pilot'],
  ])(
    'a test sampled 2022-05-29 01:00, tapped at %s: %s',
    async (instant, outcome, reasons, policy) => {
      clock.set(at(instant));
      const r = await rider(gw.url, authority.url, {
        negativeTestsAt: [at('2022-05-29T01:00:00.000+08:00')],
      });
      const reply = await tap(nc, {
        stationId: 'S0312',
        gateId: uniqueId('G'),
        credential: { kind: 'ride-code', code: await rideCode(gw.url, r.riderId) },
      });
      expect({
        outcome: reply.outcome,
        reasons: reply.reasons,
        policy: reply.policyVersion,
      }).toEqual({ outcome, reasons, policy });
      expect(reply.decidedAt).toBe(instant);
    },
  );
});
