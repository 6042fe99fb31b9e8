import { pathOf } from './trace.service';

describe('the path a traced check-in was made by', () => {
  it.each([
    [{ gateId: 'G04', medium: null, riderId: 'r1' }, 'ride-code'],
    [{ gateId: 'SEC01', medium: null, riderId: 'r1' }, 'ride-code'],
    [{ gateId: 'G04', medium: 'card:C123', riderId: 'r1' }, 'card'],
    [{ gateId: 'G04', medium: 'card:C123', riderId: null }, 'card'],
    [{ gateId: 'G04', medium: 'day-ticket:DT1', riderId: 'r1' }, 'ticket'],
    [{ gateId: 'G04', medium: 'companion-ticket:CT1', riderId: null }, 'ticket'],
    [{ gateId: 'G04', medium: 'single-journey:SJ1', riderId: null }, 'ticket'],
    [{ gateId: 'SEN1', medium: 'id-card', riderId: null }, 'sentinel'],
    [{ gateId: 'SEN1', medium: 'relative-code', riderId: null }, 'sentinel'],
    [{ gateId: 'SEN1', medium: 'health-code', riderId: null }, 'sentinel'],
    [{ gateId: 'desk', medium: 'desk:temperature', riderId: null }, 'desk'],
    [{ gateId: 'desk', medium: 'desk:offline-code:C1', riderId: null }, 'desk'],
  ] as const)('%j -> %s', (row, path) => {
    expect(pathOf(row)).toBe(path);
  });
});
