import { probeSubject, type GateReply } from '@app/protocol';
import { healthy, rideCode, rider } from '../support/factories';
import { rawRequest, startStack, tap, uniqueId, type TestStack } from '../support/stack';

const PILOT = 'S0312';

/** metro.probe.<station>.<gate>.tap: the answer a tap would get, with nothing recorded or opened. */
describe('the probe subject', () => {
  let s: TestStack;

  beforeAll(async () => {
    s = await startStack();
  });

  afterAll(async () => {
    await s.close();
  });

  const body = (gateId: string, tapId: string, credential: object) => ({
    v: 1,
    tapId,
    stationId: PILOT,
    gateId,
    mode: 'entry',
    temperatureC: 36.5,
    credential,
  });
  const probe = (gateId: string, b: object): Promise<GateReply> =>
    rawRequest(s.nc, probeSubject(PILOT, gateId), b);
  const rows = async (gateId: string, tapId: string) => {
    const q = (sql: string) => s.db.query(sql, [PILOT, gateId, tapId]).then((r) => r.rowCount ?? 0);
    return {
      checkIns: await q(
        'SELECT 1 FROM check_ins WHERE station_id = $1 AND gate_id = $2 AND tap_id = $3',
      ),
      receipts: await q(
        'SELECT 1 FROM tap_receipts WHERE station_id = $1 AND gate_id = $2 AND tap_id = $3',
      ),
    };
  };

  it('answers open for a healthy rider, records nothing and spends nothing: the real tap then opens', async () => {
    const r = await rider(s.gw.url, s.authority.url, healthy(Date.now()));
    const code = await rideCode(s.gw.url, r.riderId);
    const gateId = uniqueId('G');
    const tapId = uniqueId('tap-');
    const credential = { kind: 'ride-code', code };

    const probed = await probe(gateId, body(gateId, tapId, credential));
    expect(probed).toMatchObject({
      v: 1,
      tapId,
      outcome: 'open',
      reasons: [],
      checkInId: null,
      policyVersion: 'rv-20220601-pilot',
      policyHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(await rows(gateId, tapId)).toEqual({ checkIns: 0, receipts: 0 });

    // The same tapId and code as a real tap: decided afresh (no remembered reply), the code
    // unspent, the rider not "inside".
    const real = await tap(s.nc, {
      stationId: PILOT,
      gateId,
      tapId,
      credential: { kind: 'ride-code', code },
    });
    expect(real.outcome).toBe('open');
    expect(real.checkInId).toEqual(expect.any(String));
    expect(await rows(gateId, tapId)).toEqual({ checkIns: 1, receipts: 1 });
  });

  it('answers a refusal as the tap would get it', async () => {
    const gateId = uniqueId('G');
    const probed = await probe(
      gateId,
      body(gateId, uniqueId('tap-'), { kind: 'single-journey', ticketNo: uniqueId('T') }),
    );
    expect(probed).toMatchObject({ outcome: 'see-staff', reasons: ['VENUE_CHECK_REQUIRED'] });
  });

  it('answers MALFORMED_REQUEST to what no gate may send, the subject outranking the body', async () => {
    const gateId = uniqueId('G');
    const other = body('G99', uniqueId('tap-'), { kind: 'card', cardNo: 'C1' });
    expect(await probe(gateId, other)).toMatchObject({
      outcome: 'deny',
      reasons: ['MALFORMED_REQUEST'],
    });
  });
});
