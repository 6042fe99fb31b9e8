import { PATHS, PathsSummary, identityBorn, pathCounts } from './paths';
import { ID_NUMBER_RE, idCheckChar } from './population';

describe('credential paths', () => {
  it.each([
    [1, 2],
    [200, 2],
    [400, 4],
    [1000, 10],
  ])('%i rush riders: %i riders on every path', (riders, each) => {
    const counts = pathCounts(riders);
    expect(Object.keys(counts).sort()).toEqual([...PATHS].sort());
    expect(Object.values(counts).every((n) => n === each)).toBe(true);
  });

  it('draws identities born in the range asked for, with a valid check character', () => {
    for (let i = 0; i < 200; i++) {
      const { idNumber, birthDate } = identityBorn(1940, 1960);
      expect(idNumber).toMatch(ID_NUMBER_RE);
      const year = Number(birthDate.slice(0, 4));
      expect(year).toBeGreaterThanOrEqual(1940);
      expect(year).toBeLessThanOrEqual(1960);
      expect(idNumber.slice(6, 14)).toBe(birthDate.replace(/-/g, ''));
      expect(idNumber[17]).toBe(idCheckChar(idNumber.slice(0, 17)));
    }
  });

  it('summarizes every path, in JSON and as a table', () => {
    const s = new PathsSummary();
    s.tally('companion').riders = 2;
    s.tally('companion').clearedByStaff = 1;
    s.staffActs = 3;
    const json = s.toJson();
    expect(Object.keys(json.byPath)).toEqual([...PATHS]);
    expect(json.byPath.companion).toEqual({
      riders: 2,
      taps: 0,
      checked: 0,
      met: 0,
      clearedByStaff: 1,
    });
    const text = s.toTable();
    for (const p of PATHS) expect(text).toContain(p);
    expect(text).toContain('staff desk acts: 3');
  });
});
