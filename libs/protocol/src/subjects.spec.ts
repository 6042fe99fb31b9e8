import { gateCommandSubject, parseSubject, scanSubject, tapSubject } from './subjects';

describe('subjects', () => {
  it('builds the spec subjects of one device', () => {
    expect(tapSubject('S0312', 'G04')).toBe('metro.gate.S0312.G04.tap');
    expect(scanSubject('S0312', 'SEC01')).toBe('metro.checkpoint.S0312.SEC01.scan');
    expect(gateCommandSubject('S0312', 'G04')).toBe('metro.gate.S0312.G04.cmd');
  });
});

describe('parseSubject', () => {
  it.each([
    {
      subject: 'metro.gate.S0312.G04.tap',
      expected: { kind: 'tap', stationId: 'S0312', gateId: 'G04' },
    },
    {
      subject: 'metro.checkpoint.S0312.SEC01.scan',
      expected: { kind: 'scan', stationId: 'S0312', deviceId: 'SEC01' },
    },
    {
      subject: 'metro.gate.st_a-1.gate_B-2.tap',
      expected: { kind: 'tap', stationId: 'st_a-1', gateId: 'gate_B-2' },
    },
  ])('reads $subject', ({ subject, expected }) => {
    expect(parseSubject(subject)).toEqual(expected);
  });

  it('round-trips what tapSubject and scanSubject build', () => {
    expect(parseSubject(tapSubject('S1001', 'G12'))).toEqual({
      kind: 'tap',
      stationId: 'S1001',
      gateId: 'G12',
    });
    expect(parseSubject(scanSubject('S1001', 'D7'))).toEqual({
      kind: 'scan',
      stationId: 'S1001',
      deviceId: 'D7',
    });
  });

  it.each([
    {
      name: 'a gate command subject (gateway → gate, not a request)',
      subject: 'metro.gate.S0312.G04.cmd',
    },
    { name: 'too few tokens', subject: 'metro.gate.S0312.tap' },
    { name: 'too many tokens', subject: 'metro.gate.S0312.G04.tap.extra' },
    {
      name: 'a station id containing a dot splits into extra tokens',
      subject: 'metro.gate.S03.12.G04.tap',
    },
    { name: 'a checkpoint subject ending in tap', subject: 'metro.checkpoint.S0312.SEC01.tap' },
    { name: 'a gate subject ending in scan', subject: 'metro.gate.S0312.G04.scan' },
    { name: 'another root', subject: 'transit.gate.S0312.G04.tap' },
    { name: 'an internal event subject', subject: 'gateway.events.rider-revoked' },
    { name: 'the empty string', subject: '' },
  ])('null for $name', ({ subject }) => {
    expect(parseSubject(subject)).toBeNull();
  });
});
