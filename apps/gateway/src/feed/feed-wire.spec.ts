import { readWireEvent, toFeedEvent, type WireEvent } from './feed-wire';

const good: WireEvent = {
  stationId: 'S0312',
  gateId: 'G04',
  tapId: 'g04-000000123',
  origin: '3f2b8c1e-7d4a-4e8b-9c1a-0f5e6d7c8b9a',
  mode: 'entry',
  credentialKind: 'ride-code',
  outcome: 'see-staff',
  reasons: ['TEMPERATURE_HIGH', 'TEST_EXPIRED'],
  decidedAt: '2022-06-01T08:00:00.012+08:00',
};

describe('readWireEvent: the staff feed relays only what a gateway could have published', () => {
  it('passes a well-formed event, with nothing but its fields', () => {
    expect(
      readWireEvent('S0312', { ...good, health: { colour: 'red' }, note: '<b>x</b>' }),
    ).toEqual(good);
    expect(toFeedEvent(good)).toMatchObject({
      tapId: good.tapId,
      display: { zh: expect.any(String), en: expect.any(String) },
    });
    expect(toFeedEvent(good)).not.toHaveProperty('origin');
  });

  it.each<[string, unknown]>([
    ['not an object', 'tap'],
    ['an array', [good]],
    ['null', null],
    ['a station other than its subject', { ...good, stationId: 'S0105' }],
    ['a station with a dot', { ...good, stationId: 'S0312.x' }],
    ['a gate with a wildcard', { ...good, gateId: 'G*' }],
    ['a gate too long', { ...good, gateId: 'G'.repeat(33) }],
    ['a tap id too short', { ...good, tapId: 'short' }],
    ['a tap id with markup', { ...good, tapId: '<script>alert(1)</script>' }],
    ['no origin', { ...good, origin: undefined }],
    ['an unknown mode', { ...good, mode: 'sideways' }],
    ['an unknown credential kind', { ...good, credentialKind: 'passport' }],
    ['a checkpoint-only credential', { ...good, credentialKind: 'id-card' }],
    ['an open', { ...good, outcome: 'open', reasons: [] }],
    ['an unknown outcome', { ...good, outcome: 'maybe' }],
    ['an unknown reason', { ...good, reasons: ['NOT_A_REASON'] }],
    ['a reason named like an Object property', { ...good, reasons: ['constructor'] }],
    ['no reasons', { ...good, reasons: [] }],
    ['reasons not an array', { ...good, reasons: 'TEMPERATURE_HIGH' }],
    ['a repeated reason', { ...good, reasons: ['TEST_EXPIRED', 'TEST_EXPIRED'] }],
    ['a see-staff with a deny reason', { ...good, reasons: ['CARD_BLOCKED'] }],
    ['a deny without one', { ...good, outcome: 'deny', reasons: ['TEST_EXPIRED'] }],
    ['a time without the gateway offset', { ...good, decidedAt: '2022-06-01T00:00:00.012Z' }],
    ['a time that is no date', { ...good, decidedAt: '2022-06-31T08:00:00.000+08:00' }],
    ['a time that is text', { ...good, decidedAt: 'yesterday' }],
  ])('ignores %s', (_name, body) => {
    expect(readWireEvent('S0312', body)).toBeNull();
  });

  it('passes a deny with its deny reason', () => {
    const deny = { ...good, outcome: 'deny', reasons: ['CARD_BLOCKED'], credentialKind: 'card' };
    expect(readWireEvent('S0312', deny)).toEqual(deny);
  });
});
