import { spawnSync } from 'node:child_process';
import { cpuMicrosOf } from './processes';

describe('cpuMicrosOf', () => {
  const reaped = () => cpuMicrosOf(process.pid, true) - cpuMicrosOf(process.pid);

  it('counts a child that has exited through its parent, with reapedChildren', () => {
    const before = reaped();
    // The child spins until it has used 200 ms of CPU, however busy the machine is.
    const burn = 'const t=process.cpuUsage();while(process.cpuUsage(t).user<200000);';
    expect(spawnSync(process.execPath, ['-e', burn]).status).toBe(0);
    expect(reaped() - before).toBeGreaterThanOrEqual(150_000);
  });

  it('reads 0 for a process that is gone', () => {
    const child = spawnSync(process.execPath, ['-e', '0']);
    expect(cpuMicrosOf(child.pid ?? 0)).toBe(0);
  });
});
