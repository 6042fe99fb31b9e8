import request from 'supertest';
import type { GateReply } from '@app/protocol';
import { ConsentsService } from '../../apps/health-authority/src/consents/consents.service';
import { HealthStatusService } from '../../apps/gateway/src/health-link/health-status.service';
import { asRider, healthy, rideCode, rider } from '../support/factories';
import { AUTHORITY_KEY, startStack, tap, uniqueId, type TestStack } from '../support/stack';

const PILOT = 'S0312';

/** Polls until `done` holds (events arrive over HTTP and NATS; no fixed sleeps). */
async function until(done: () => boolean, what: string): Promise<void> {
  const giveUpAt = Date.now() + 5_000;
  while (!done()) {
    if (Date.now() > giveUpAt) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Warm taps: asking for a ride code reads the rider's status once, and the taps of that code
 * use it. Lookups are counted where they land, at the authority stand-in.
 */
describe('warm taps: the status read when a ride code is asked for serves its taps', () => {
  let stack: TestStack;
  let health: HealthStatusService;
  /** How many times the authority was asked for each consent's status, by either route. */
  const asked = new Map<string, number>();

  beforeAll(async () => {
    stack = await startStack();
    health = stack.gw.app.get(HealthStatusService);
    const consents = stack.authority.app.get(ConsentsService);
    const count = (id: string) => asked.set(id, (asked.get(id) ?? 0) + 1);
    const statuses = consents.statuses.bind(consents);
    jest.spyOn(consents, 'statuses').mockImplementation((ids) => {
      ids.forEach(count);
      return statuses(ids);
    });
    const status = consents.status.bind(consents);
    jest.spyOn(consents, 'status').mockImplementation((id) => {
      count(id);
      return status(id);
    });
  });

  afterAll(() => stack.close());

  async function linkedRider() {
    const r = await rider(stack.gw.url, stack.authority.url, healthy(Date.now()));
    const row = await stack.db.query<{ consent_id: string }>(
      'SELECT consent_id FROM health_links WHERE rider_id = $1',
      [r.riderId],
    );
    return { ...r, consentId: row.rows[0].consent_id };
  }

  /** A code minted through the API, once its status has landed in the warm set. */
  async function warmCode(riderId: string, consentId: string): Promise<string> {
    const code = await rideCode(stack.gw.url, riderId);
    await until(() => health.isWarm(consentId), 'the status read for the code');
    return code;
  }

  const tapWith = (code: string): Promise<GateReply> =>
    tap(stack.nc, {
      stationId: PILOT,
      gateId: uniqueId('G'),
      credential: { kind: 'ride-code', code },
    });

  it('a tap after minting needs no lookup: the authority was asked once, at the mint', async () => {
    const r = await linkedRider();
    const code = await warmCode(r.riderId, r.consentId);
    expect(asked.get(r.consentId)).toBe(1);
    const reply = await tapWith(code);
    expect(reply.outcome).toBe('open');
    expect(asked.get(r.consentId)).toBe(1);
  });

  it('the status screen warms the rider too: a tap after it needs no lookup', async () => {
    const r = await linkedRider();
    const code = await warmCode(r.riderId, r.consentId);
    health.dropFresh(); // nothing warm any more: only the screen can warm it again
    await request(stack.gw.url)
      .get(`/riders/${r.riderId}/status`)
      .set(await asRider(r.riderId))
      .expect(200);
    expect(health.isWarm(r.consentId)).toBe(true);
    expect(asked.get(r.consentId)).toBe(2);
    expect((await tapWith(code)).outcome).toBe('open');
    expect(asked.get(r.consentId)).toBe(2);
  });

  it('a cold tap (nothing warm) looks the status up and opens, as before', async () => {
    const r = await linkedRider();
    const code = await warmCode(r.riderId, r.consentId);
    health.dropFresh(); // what a NATS reconnect does
    expect((await tapWith(code)).outcome).toBe('open');
    expect(asked.get(r.consentId)).toBe(2);
  });

  it('a revocation at the authority between mint and tap: the tap looks up and is denied', async () => {
    const r = await linkedRider();
    const code = await warmCode(r.riderId, r.consentId);
    await request(stack.authority.url)
      .delete(`/v1/consents/${r.consentId}`)
      .set('x-api-key', AUTHORITY_KEY)
      .expect(204);
    await until(() => !health.isWarm(r.consentId), 'the notice to evict the warm status');
    const reply = await tapWith(code);
    expect({ outcome: reply.outcome, reasons: reply.reasons }).toEqual({
      outcome: 'see-staff',
      reasons: ['NOT_AUTHORIZED'],
    });
    expect(asked.get(r.consentId)).toBe(2);
  });

  it('a status change between mint and tap: the tap looks up and reads the new status', async () => {
    const r = await linkedRider();
    const code = await warmCode(r.riderId, r.consentId);
    await request(stack.authority.url)
      .put(`/v1/persons/${r.idNumber}/colour`)
      .set('x-api-key', AUTHORITY_KEY)
      .send({ colour: 'red' })
      .expect(204);
    await until(() => !health.isWarm(r.consentId), 'the notice to evict the warm status');
    const reply = await tapWith(code);
    expect(reply.reasons).toEqual(['HEALTH_CODE_NOT_GREEN']);
    expect(asked.get(r.consentId)).toBe(2);
  });

  it('a revocation through the gateway between mint and tap: denied at once, nothing looked up', async () => {
    const r = await linkedRider();
    const code = await warmCode(r.riderId, r.consentId);
    await request(stack.gw.url)
      .delete(`/riders/${r.riderId}/authorization`)
      .set(await asRider(r.riderId))
      .expect(204);
    expect(health.isWarm(r.consentId)).toBe(false);
    const reply = await tapWith(code);
    expect(reply.reasons).toEqual(['NOT_AUTHORIZED']);
    expect(asked.get(r.consentId)).toBe(1);
  });
});
