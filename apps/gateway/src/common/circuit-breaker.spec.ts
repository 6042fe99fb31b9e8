import { CircuitBreaker } from './circuit-breaker';

describe('CircuitBreaker', () => {
  let t = 0;
  const breaker = () => new CircuitBreaker(3, 1000, () => t);

  beforeEach(() => (t = 0));

  it('stays closed below the threshold and opens at it', () => {
    const b = breaker();
    b.failure();
    b.failure();
    expect(b.allow()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    expect(b.allow()).toBe(false);
  });

  it('lets exactly one trial through after the cool-down, and closes on its success', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.failure();
    t = 999;
    expect(b.allow()).toBe(false);
    t = 1000;
    expect(b.allow()).toBe(true);
    expect(b.allow()).toBe(false);
    b.success();
    expect(b.state).toBe('closed');
    expect(b.allow()).toBe(true);
  });

  it('reopens for another cool-down when the trial fails', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.failure();
    t = 1000;
    expect(b.allow()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    t = 1999;
    expect(b.allow()).toBe(false);
    t = 2000;
    expect(b.allow()).toBe(true);
  });

  it('a success resets the count of consecutive failures', () => {
    const b = breaker();
    b.failure();
    b.failure();
    b.success();
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
  });
});
