import { partitionStart, shanghaiDay } from './retention.service';

describe('Asia/Shanghai day partitions', () => {
  it.each([
    ['2022-06-01T00:00:00.000+08:00', 'check_ins_p20220601'],
    ['2022-05-31T23:59:59.999+08:00', 'check_ins_p20220531'],
    ['2022-05-31T16:00:00.000Z', 'check_ins_p20220601'],
    ['2024-02-29T12:00:00.000+08:00', 'check_ins_p20240229'],
  ])('puts %s in %s', (iso, name) => {
    const day = shanghaiDay(Date.parse(iso));
    expect(day.name).toBe(name);
    expect(day.to - day.from).toBe(86_400_000);
    expect(Date.parse(iso)).toBeGreaterThanOrEqual(day.from);
    expect(Date.parse(iso)).toBeLessThan(day.to);
    expect(partitionStart(name)).toBe(day.from);
  });

  it('starts a day at midnight Shanghai time', () => {
    expect(new Date(partitionStart('check_ins_p20220601')).toISOString()).toBe(
      '2022-05-31T16:00:00.000Z',
    );
    expect(() => partitionStart('check_ins_default')).toThrow(/not a check-in partition/);
  });
});
