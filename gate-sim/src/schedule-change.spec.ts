import { parseArgs } from './cli';
import { shadowTable } from './schedule-change';

describe('--schedule-change', () => {
  it('is off by default and on with the flag', () => {
    expect(parseArgs([], {}).scheduleChange).toBe(false);
    expect(parseArgs(['demo', '--schedule-change'], {}).scheduleChange).toBe(true);
  });

  it('prints totals per station and only the transitions that change something', () => {
    const open = { outcome: 'open', reasons: [] };
    const expired = { outcome: 'see-staff', reasons: ['TEST_EXPIRED'] };
    expect(
      shadowTable([
        {
          stationId: 'S0312',
          evaluated: 10,
          unchanged: 7,
          changed: 3,
          outcomeChanged: 3,
          notEvaluable: 0,
          transitions: [
            { from: open, to: open, taps: 7 },
            { from: open, to: expired, taps: 3 },
          ],
        },
      ]),
    ).toBe(
      '  S0312: 10 entries evaluated, 3 would change (3 a different outcome), 7 unchanged, 0 not evaluable\n' +
        '        3  open -> see-staff [TEST_EXPIRED]',
    );
    expect(shadowTable([])).toBe('  no entry taps were evaluated');
  });
});
