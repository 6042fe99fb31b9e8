import fc from 'fast-check';
import { formatShanghai, parseInstant } from './time';

describe('formatShanghai', () => {
  it.each([
    { utc: Date.UTC(2022, 5, 1, 0, 0, 0, 12), text: '2022-06-01T08:00:00.012+08:00' },
    { utc: Date.UTC(2022, 4, 31, 16, 0, 0, 0), text: '2022-06-01T00:00:00.000+08:00' },
    { utc: Date.UTC(2022, 4, 31, 15, 59, 59, 999), text: '2022-05-31T23:59:59.999+08:00' },
    { utc: Date.UTC(2022, 11, 31, 16, 0, 0, 0), text: '2023-01-01T00:00:00.000+08:00' },
    { utc: 0, text: '1970-01-01T08:00:00.000+08:00' },
  ])('$text', ({ utc, text }) => {
    expect(formatShanghai(utc)).toBe(text);
  });

  it('round-trips through parseInstant to the millisecond', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }), (ms) => {
        expect(parseInstant(formatShanghai(ms))).toBe(ms);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseInstant', () => {
  const epoch = Date.UTC(2022, 5, 1, 0, 0, 0, 12);

  it.each([
    { text: '2022-06-01T08:00:00.012+08:00', ms: epoch },
    { text: '2022-06-01T00:00:00.012Z', ms: epoch },
    { text: '2022-05-31T19:00:00.012-05:00', ms: epoch },
    { text: '2022-06-01T08:00:00+08:00', ms: epoch - 12 },
    { text: '2022-06-01T08:00+08:00', ms: epoch - 12 },
    { text: '2022-06-01T08:00:00.1+08:00', ms: epoch - 12 + 100 },
    { text: '2022-05-31T24:00:00.000+08:00', ms: Date.UTC(2022, 4, 31, 16) },
  ])('reads $text', ({ text, ms }) => {
    expect(parseInstant(text)).toBe(ms);
  });

  it.each([
    { name: 'no offset', text: '2022-06-01T08:00:00.012' },
    { name: 'no offset, no milliseconds', text: '2022-06-01T08:00:00' },
    { name: 'a date only', text: '2022-06-01' },
    { name: 'a space instead of T', text: '2022-06-01 08:00:00+08:00' },
    { name: 'a compact offset', text: '2022-06-01T08:00:00+0800' },
    { name: 'an offset name', text: '2022-06-01T08:00:00 CST' },
    { name: 'four fractional digits', text: '2022-06-01T08:00:00.0123+08:00' },
    { name: 'hour 25', text: '2022-06-01T25:00:00+08:00' },
    { name: 'month 13', text: '2022-13-01T00:00:00+08:00' },
    { name: 'epoch digits', text: '1654041600012' },
    { name: 'a date string', text: 'Wed Jun 01 2022 08:00:00 GMT+0800' },
    { name: 'the empty string', text: '' },
  ])('null for $name: $text', ({ text }) => {
    expect(parseInstant(text)).toBeNull();
  });
});
