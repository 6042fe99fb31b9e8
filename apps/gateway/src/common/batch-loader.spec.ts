import { BatchLoader } from './batch-loader';

/** A loadMany that records its calls and answers only when told to. */
function controlled() {
  const calls: { keys: string[]; budgetMs: number; answer(): void; fail(e: Error): void }[] = [];
  const loadMany = (keys: string[], budgetMs: number) =>
    new Promise<Map<string, string>>((resolve, reject) => {
      calls.push({
        keys,
        budgetMs,
        answer: () => resolve(new Map(keys.map((k) => [k, `v:${k}`]))),
        fail: reject,
      });
    });
  return { calls, loadMany };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('BatchLoader', () => {
  it('sends the keys of one event-loop turn as one batch, each key once', async () => {
    const { calls, loadMany } = controlled();
    const loader = new BatchLoader(loadMany, () => 'failed');
    const got = Promise.all([loader.load('a'), loader.load('b'), loader.load('a')]);
    await turn();
    expect(calls.map((c) => c.keys)).toEqual([['a', 'b']]);
    calls[0].answer();
    await expect(got).resolves.toEqual(['v:a', 'v:b', 'v:a']);
  });

  it('gives every waiter of a failed batch the failure value', async () => {
    const { calls, loadMany } = controlled();
    const loader = new BatchLoader(loadMany, (keys) => `failed:${keys.length}`);
    const got = Promise.all([loader.load('a'), loader.load('b')]);
    await turn();
    calls[0].fail(new Error('down'));
    await expect(got).resolves.toEqual(['failed:2', 'failed:2']);
  });

  it('splits at maxBatch', async () => {
    const { calls, loadMany } = controlled();
    const loader = new BatchLoader(loadMany, () => 'failed', 2);
    const got = Promise.all(['a', 'b', 'c'].map((k) => loader.load(k)));
    await turn();
    expect(calls.map((c) => c.keys)).toEqual([['a', 'b'], ['c']]);
    for (const c of calls) c.answer();
    await expect(got).resolves.toEqual(['v:a', 'v:b', 'v:c']);
  });

  it('with every slot busy, later keys wait and leave together when one returns', async () => {
    const { calls, loadMany } = controlled();
    const loader = new BatchLoader(loadMany, () => 'failed', 500, 1);
    const first = loader.load('a');
    await turn();
    const later = [loader.load('b')];
    await turn();
    later.push(loader.load('c'));
    await turn();
    expect(calls.map((c) => c.keys)).toEqual([['a']]);
    calls[0].answer();
    await expect(first).resolves.toBe('v:a');
    await turn();
    expect(calls.map((c) => c.keys)).toEqual([['a'], ['b', 'c']]);
    calls[1].answer();
    await expect(Promise.all(later)).resolves.toEqual(['v:b', 'v:c']);
  });

  it('counts the time a key waited for a slot against its budget', async () => {
    const { calls, loadMany } = controlled();
    let now = 0;
    const loader = new BatchLoader(
      loadMany,
      () => 'failed',
      500,
      1,
      () => now,
    );
    void loader.load('a', 1_000);
    await turn();
    now = 10;
    void loader.load('b', 1_000);
    now = 70;
    calls[0].answer();
    await turn();
    await turn();
    expect(calls[0].budgetMs).toBe(1_000);
    expect(calls[1].budgetMs).toBe(1_000 - 60);
    calls[1].answer();
  });
});
