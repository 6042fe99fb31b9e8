import request from 'supertest';
import type { GateReply } from '@app/protocol';
import { healthy, rideCode, rider } from '../support/factories';
import { bearer, rawRequest, startStack, tap, uniqueId, type TestStack } from '../support/stack';

const PILOT = 'S0312';

/** Spec 1.1: every reply names the deciding version and the hash of its canonical form. */
describe('policyHash beside policyVersion in every reply', () => {
  let s: TestStack;

  beforeAll(async () => {
    s = await startStack();
  });

  afterAll(async () => {
    await s.close();
  });

  const versionHash = async (id: string): Promise<string> => {
    const res = await request(s.gw.url)
      .get(`/rules/versions/${encodeURIComponent(id)}`)
      .set(await bearer({ sub: uniqueId('op'), role: 'operator' }))
      .expect(200);
    return (res.body as { hash: string }).hash;
  };

  it("stores the hash the reply names with the check-in, and it is the version's hash", async () => {
    const r = await rider(s.gw.url, s.authority.url, healthy(Date.now()));
    const tapId = uniqueId('tap-');
    const reply = await tap(s.nc, {
      stationId: PILOT,
      gateId: uniqueId('G'),
      tapId,
      credential: { kind: 'ride-code', code: await rideCode(s.gw.url, r.riderId) },
    });
    expect(reply.outcome).toBe('open');
    const row = await s.db.query<{ policy_version: string; policy_hash: string }>(
      'SELECT policy_version, policy_hash FROM check_ins WHERE id = $1',
      [reply.checkInId],
    );
    expect(row.rows).toEqual([
      { policy_version: reply.policyVersion, policy_hash: reply.policyHash },
    ]);
    expect(reply.policyHash).toBe(await versionHash(reply.policyVersion as string));
  });

  it('names the hash in a refusal too, and null only where no version decided', async () => {
    const refused = await tap(s.nc, {
      stationId: PILOT,
      gateId: uniqueId('G'),
      credential: { kind: 'single-journey', ticketNo: uniqueId('T') },
    });
    expect(refused.outcome).toBe('see-staff');
    expect(refused.policyHash).toBe(await versionHash(refused.policyVersion as string));
    const malformed: GateReply = await rawRequest(s.nc, `metro.gate.${PILOT}.G01.tap`, 'nope');
    expect(malformed).toMatchObject({ policyVersion: null, policyHash: null });
  });

  it("gives a retry of a committed tap the first attempt's hash", async () => {
    const r = await rider(s.gw.url, s.authority.url, healthy(Date.now()));
    const t = {
      stationId: PILOT,
      gateId: uniqueId('G'),
      tapId: uniqueId('tap-'),
      credential: { kind: 'ride-code' as const, code: await rideCode(s.gw.url, r.riderId) },
    };
    const first = await tap(s.nc, t);
    const retry = await tap(s.nc, t);
    expect(retry).toEqual(first);
    expect(first.policyHash).toMatch(/^[0-9a-f]{64}$/);
  });
});
