import { parseInstant } from '../common/time';
import { ageOn, isElderlyOrChild, offlineCodeEligible, relativeCodeEligible } from './eligibility';

const at = (iso: string) => parseInstant(iso) as number;
const facts = (
  birthDate: string,
  extra: Partial<{ disabled: boolean; specialGroup: boolean }> = {},
) => ({
  birthDate,
  disabled: false,
  specialGroup: false,
  ...extra,
});

describe('ageOn', () => {
  it('turns a year older at Asia/Shanghai midnight of the birthday', () => {
    expect(ageOn('2004-06-01', at('2022-05-31T23:59:59.999+08:00'))).toBe(17);
    expect(ageOn('2004-06-01', at('2022-06-01T00:00:00+08:00'))).toBe(18);
    // 2022-05-31T16:00Z is already 1 June in Shanghai.
    expect(ageOn('2004-06-01', at('2022-05-31T16:00:00Z'))).toBe(18);
  });

  it('counts a 29 February birthday as reached on 1 March in a common year', () => {
    expect(ageOn('2004-02-29', at('2022-02-28T12:00:00+08:00'))).toBe(17);
    expect(ageOn('2004-02-29', at('2022-03-01T00:00:00+08:00'))).toBe(18);
    expect(ageOn('2004-02-29', at('2024-02-29T00:00:00+08:00'))).toBe(20);
  });
});

describe('eligibility', () => {
  const now = at('2022-06-01T12:00:00+08:00');

  it.each([
    ['2004-06-02', 17, true],
    ['2004-06-01', 18, false],
    ['1962-06-02', 59, false],
    ['1962-06-01', 60, true],
  ])('born %s (%i years old): elderly or child = %s', (birthDate, age, expected) => {
    expect(ageOn(birthDate, now)).toBe(age);
    expect(isElderlyOrChild(facts(birthDate), now)).toBe(expected);
    expect(offlineCodeEligible(facts(birthDate), now)).toBe(expected);
    expect(relativeCodeEligible(facts(birthDate), now)).toBe(expected);
  });

  it('lets disabled adults have offline and relatives codes, special groups relatives codes only', () => {
    const adult = '1990-01-01';
    expect(offlineCodeEligible(facts(adult, { disabled: true }), now)).toBe(true);
    expect(relativeCodeEligible(facts(adult, { disabled: true }), now)).toBe(true);
    expect(offlineCodeEligible(facts(adult, { specialGroup: true }), now)).toBe(false);
    expect(relativeCodeEligible(facts(adult, { specialGroup: true }), now)).toBe(true);
    expect(isElderlyOrChild(facts(adult, { disabled: true }), now)).toBe(false);
  });
});
