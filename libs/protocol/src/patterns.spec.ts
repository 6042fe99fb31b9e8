import { ID_NUMBER_PATTERN, ID_PATTERN, MEDIUM_NO_PATTERN, TAP_ID_PATTERN } from './patterns';

describe('identifier patterns: what the protocol spec allows, and nothing else', () => {
  it.each([
    [ID_PATTERN, 'S0312', true],
    [ID_PATTERN, 'G_07-b', true],
    [ID_PATTERN, 'x'.repeat(32), true],
    [ID_PATTERN, 'x'.repeat(33), false],
    [ID_PATTERN, '', false],
    [ID_PATTERN, 'S1.G2', false],
    [ID_PATTERN, 'S*', false],
    [ID_PATTERN, 'S>', false],
    [ID_PATTERN, 'S 1', false],
    [ID_PATTERN, 'S1\n', false],
    [TAP_ID_PATTERN, 'abcdefgh', true],
    [TAP_ID_PATTERN, 'abcdefg', false],
    [TAP_ID_PATTERN, 'x'.repeat(65), false],
    [MEDIUM_NO_PATTERN, 'x'.repeat(64), true],
    [MEDIUM_NO_PATTERN, 'x'.repeat(65), false],
    [MEDIUM_NO_PATTERN, 'C 1', false],
    [ID_NUMBER_PATTERN, '310101199001011234', true],
    [ID_NUMBER_PATTERN, '31010119900101123X', true],
    [ID_NUMBER_PATTERN, '31010119900101123x', true],
    [ID_NUMBER_PATTERN, '3101011990010112345', false],
    [ID_NUMBER_PATTERN, '3101011990010112X4', false],
    [ID_NUMBER_PATTERN, '31010119900101123', false],
  ])('%s on %j: %s', (pattern, value, ok) => {
    expect(pattern.test(value)).toBe(ok);
  });
});
