import {
  buildPopulation,
  ID_NUMBER_RE,
  idCheckChar,
  kindCounts,
  MIX,
  RUSH_STATIONS,
  type RiderPlan,
} from './population';

const withoutIdentity = (riders: RiderPlan[]) =>
  riders.map(({ identity: _identity, medium: _medium, ...rest }) => rest);

describe('population', () => {
  it('is deterministic for a seed, apart from identity and medium numbers', () => {
    const a = buildPopulation({ riders: 400, seed: 7 });
    const b = buildPopulation({ riders: 400, seed: 7 });
    const c = buildPopulation({ riders: 400, seed: 8 });
    expect(withoutIdentity(a.riders)).toEqual(withoutIdentity(b.riders));
    expect(withoutIdentity(a.riders)).not.toEqual(withoutIdentity(c.riders));
    expect(buildPopulation({ riders: 50, seed: 7, idSeed: 1 }).riders).toEqual(
      buildPopulation({ riders: 50, seed: 7, idSeed: 1 }).riders,
    );
  });

  it('gives valid, unique 18-character ID numbers that carry the birth date and the check character', () => {
    const { riders, identities } = buildPopulation({ riders: 2000, seed: 1 });
    const ids = riders.flatMap((r) => (r.identity ? [r.identity] : []));
    expect(ids.length).toBeGreaterThan(1500);
    for (const id of ids) {
      expect(id.idNumber).toMatch(ID_NUMBER_RE);
      expect(id.idNumber.slice(6, 14)).toBe(id.birthDate.replace(/-/g, ''));
      expect(id.idNumber[17]).toBe(idCheckChar(id.idNumber.slice(0, 17)));
    }
    const again = Array.from({ length: 500 }, () => identities.next().idNumber);
    expect(new Set([...ids.map((i) => i.idNumber), ...again]).size).toBe(ids.length + again.length);
    expect(idCheckChar('11010519491231002')).toBe('X');
  });

  it('splits riders over the stations with a few of every kind, and only open-entry stories where one-code is enabled', () => {
    const { riders } = buildPopulation({ riders: 400, seed: 3 });
    expect(riders).toHaveLength(400);
    const at = (s: string) => riders.filter((r) => r.stationId === s);
    expect(at('S0312')).toHaveLength(200);
    const healthy = at('S0312').filter((r) => r.kind === 'healthy').length;
    expect(healthy / 200).toBeGreaterThan(0.6);
    for (const kind of Object.keys(MIX))
      expect(at('S0312').some((r) => r.kind === kind)).toBe(true);
    expect(at('S0105').some((r) => r.kind === 'replay' || r.kind === 'already-inside')).toBe(false);
    expect(at('S0105').some((r) => r.exitStationId !== null)).toBe(false);
    expect(riders.some((r) => r.exitStationId === 'S0105')).toBe(true);
    expect(riders.some((r) => r.resendEntry)).toBe(true);
    expect(new Set(riders.map((r) => r.index)).size).toBe(400);

    const fever = riders.filter((r) => r.kind === 'fever').map((r) => r.temperatureC as number);
    expect(Math.min(...fever)).toBeGreaterThanOrEqual(37.3);
    expect(
      riders.filter((r) => r.kind === 'temp-missing').every((r) => r.temperatureC === null),
    ).toBe(true);
    const expired = riders
      .filter((r) => r.kind === 'test-expired')
      .map((r) => r.testHoursAgo as number);
    expect(Math.min(...expired)).toBeGreaterThan(72);
    expect(
      riders
        .filter((r) => r.kind === 'healthy')
        .every((r) => (r.testHoursAgo as number) <= 60 && r.authorize),
    ).toBe(true);
    expect(
      riders
        .filter((r) => r.kind === 'not-authorized')
        .every((r) => !r.authorize && r.identity !== null),
    ).toBe(true);
  });

  it('fits tiny runs', () => {
    for (const n of [1, 5, 13]) {
      const counts = kindCounts(n, RUSH_STATIONS[0]);
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(n);
      expect(Object.values(counts).every((c) => c >= 0)).toBe(true);
    }
  });
});
