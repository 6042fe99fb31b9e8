import fc from 'fast-check';
import { COLOURS } from '@app/decision';
import { EVENTS, formatShanghai, parseInstant } from '@app/protocol';
import * as authorityTime from '../../apps/health-authority/src/common/time';
import {
  COLOURS as AUTHORITY_COLOURS,
  STATUS_CHANGED_SUBJECT,
} from '../../apps/health-authority/src/common/vocabulary';

/**
 * The health-authority stand-in keeps its own types, as the real authority would. Where the
 * gateway and it must agree, this contract says so, and fails when either side drifts.
 */
describe('the gateway and the authority stand-in speak the same contract', () => {
  it('name the same health-code colours', () => {
    expect([...AUTHORITY_COLOURS].sort()).toEqual([...COLOURS].sort());
  });

  it('use one subject for status-change notices: the authority publishes where the gateway listens', () => {
    expect(STATUS_CHANGED_SUBJECT).toBe(EVENTS.authorityStatusChanged);
  });

  it('write every instant the same way', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        expect(authorityTime.formatShanghai(ms)).toBe(formatShanghai(ms));
      }),
    );
  });

  it.each([
    '2022-06-01T08:00:00+08:00',
    '2022-06-01T00:00:00.5Z',
    '2022-06-31T08:00:00+08:00',
    '2022-02-29T08:00:00+08:00',
    '2024-02-29T08:00:00-05:30',
    '2022-06-01 08:00:00+08:00',
    '2022-06-01T08:00:00',
    '',
  ])('read %j the same way', (text) => {
    expect(authorityTime.parseInstant(text)).toBe(parseInstant(text));
  });
});
