import { ConfigError, loadConfig } from './config';

describe('gateway config: HEAP_GROWTH_PERCENT', () => {
  it('lets the old generation grow to 1.5 times the live heap unless told otherwise', () => {
    expect(loadConfig({}).heapGrowthPercent).toBe(50);
  });

  it('takes 0 for V8 own heuristics, and up to 300', () => {
    expect(loadConfig({ HEAP_GROWTH_PERCENT: '0' }).heapGrowthPercent).toBe(0);
    expect(loadConfig({ HEAP_GROWTH_PERCENT: '300' }).heapGrowthPercent).toBe(300);
  });

  it.each(['-1', '301', '1.5', 'lots'])('refuses %s at boot', (value) => {
    expect(() => loadConfig({ HEAP_GROWTH_PERCENT: value })).toThrow(ConfigError);
  });
});
