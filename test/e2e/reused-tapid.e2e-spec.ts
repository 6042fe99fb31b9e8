import type { NatsConnection } from 'nats';
import { Client } from 'pg';
import type { GateReply } from '@app/protocol';
import type { RunningAuthority } from '../../apps/health-authority/src/app';
import { healthy, rideCode, rider } from '../support/factories';
import {
  natsClient,
  rawRequest,
  startAuthority,
  startTestGateway,
  tap,
  testDatabaseUrl,
  uniqueId,
  type GatewayUnderTest,
} from '../support/stack';

const PILOT = 'S0312';

/**
 * A tapId is bound to its request (credential, mode, reading). Reused with another request, by
 * a gate that restarted its counter or by anyone, it is refused: never another tap's reply.
 */
describe('a reused tapId, over raw NATS', () => {
  let authority: RunningAuthority;
  let gw: GatewayUnderTest | undefined;
  let nc: NatsConnection;
  let db: Client;

  beforeAll(async () => {
    authority = await startAuthority();
    gw = await startTestGateway(authority.url);
    nc = await natsClient();
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await nc?.drain();
    await gw?.close();
    await authority?.close();
  });

  const newRider = async () => {
    const gateway = gw as GatewayUnderTest;
    const r = await rider(gateway.url, authority.url, healthy(Date.now()));
    return { riderId: r.riderId, code: await rideCode(gateway.url, r.riderId) };
  };
  const rowsOf = async (tapId: string) =>
    (
      await db.query<{ id: string }>(
        'SELECT id FROM check_ins WHERE station_id = $1 AND tap_id = $2 ORDER BY id',
        [PILOT, tapId],
      )
    ).rows.map((r) => r.id);
  const refused = (r: GateReply) => {
    expect({ outcome: r.outcome, reasons: r.reasons, checkInId: r.checkInId }).toEqual({
      outcome: 'deny',
      reasons: ['MALFORMED_REQUEST'],
      checkInId: null,
    });
  };

  it('same tapId and request: the same reply; another credential, mode or reading: MALFORMED_REQUEST', async () => {
    const a = await newRider();
    const b = await newRider();
    const gateId = uniqueId('G');
    const tapId = uniqueId('tap');
    const request = { stationId: PILOT, gateId, tapId };
    const first = await tap(nc, { ...request, credential: { kind: 'ride-code', code: a.code } });
    expect(first.outcome).toBe('open');
    expect(await tap(nc, { ...request, credential: { kind: 'ride-code', code: a.code } })).toEqual(
      first,
    );
    refused(await tap(nc, { ...request, credential: { kind: 'ride-code', code: b.code } }));
    refused(
      await tap(nc, { ...request, mode: 'exit', credential: { kind: 'ride-code', code: a.code } }),
    );
    refused(
      await tap(nc, {
        ...request,
        temperatureC: 37.9,
        credential: { kind: 'ride-code', code: a.code },
      }),
    );
    expect(await rowsOf(tapId)).toEqual([first.checkInId]);
    // The refusal spent nothing of the other rider: b's code opens b's own tap.
    const bTap = await tap(nc, {
      stationId: PILOT,
      gateId,
      credential: { kind: 'ride-code', code: b.code },
    });
    expect(bTap.outcome).toBe('open');
    // And the first request is still answered as it was.
    expect(await tap(nc, { ...request, credential: { kind: 'ride-code', code: a.code } })).toEqual(
      first,
    );
  });

  it('a checkpoint device named like a gate, with the same tapId, is another device', async () => {
    const a = await newRider();
    const deviceId = uniqueId('G');
    const tapId = uniqueId('tap');
    const atGate = await tap(nc, {
      stationId: PILOT,
      gateId: deviceId,
      tapId,
      credential: { kind: 'ride-code', code: a.code },
    });
    expect(atGate.outcome).toBe('open');
    const b = await newRider();
    const atCheckpoint = await rawRequest(nc, `metro.checkpoint.${PILOT}.${deviceId}.scan`, {
      v: 1,
      tapId,
      stationId: PILOT,
      deviceId,
      temperatureC: 36.5,
      credential: { kind: 'ride-code', code: b.code },
    });
    expect(atCheckpoint.outcome).toBe('open');
    expect(atCheckpoint.checkInId).not.toBe(atGate.checkInId);
    expect(await rowsOf(tapId)).toEqual([atGate.checkInId, atCheckpoint.checkInId].sort());
  });

  it('on an instance that never saw the first request, its receipt refuses the reuse', async () => {
    const a = await newRider();
    const b = await newRider();
    const gateId = uniqueId('G');
    const tapId = uniqueId('tap');
    const request = { stationId: PILOT, gateId, tapId };
    const first = await tap(nc, { ...request, credential: { kind: 'ride-code', code: a.code } });
    expect(first.outcome).toBe('open');
    // A fresh instance: nothing in memory, only the receipt in PostgreSQL.
    await gw?.close();
    gw = undefined;
    gw = await startTestGateway(authority.url);
    refused(await tap(nc, { ...request, credential: { kind: 'ride-code', code: b.code } }));
    expect(await tap(nc, { ...request, credential: { kind: 'ride-code', code: a.code } })).toEqual(
      first,
    );
    expect(await rowsOf(tapId)).toEqual([first.checkInId]);
  });
});
