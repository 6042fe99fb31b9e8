import { manualTimer } from '../common/timer';
import type { Logger } from '../common/logger';
import { Metrics } from '../ops/metrics';
import { AdmissionBatcher, type CommitOutcome } from './admission.batcher';
import type { Admission, AdmissionResult, AdmissionsRepository } from './admissions.repository';

const silent = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;

const admission = (n: number, traveller = `rider:r${n}`): Admission => ({
  stationId: 'S1',
  gateId: 'G1',
  tapId: `tap-${String(n).padStart(6, '0')}`,
  mode: 'entry',
  traveller,
  riderId: `r${n}`,
  medium: null,
  jti: null,
  jtiExpiresAt: null,
  checkInId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  decidedAt: 0,
  policyVersion: 'v1',
  policyHash: 'h1',
});

/** A repository whose commits take `commitMs` on the manual timer, or fail then. */
function setup(opts: { commitMs: number; fails?: boolean; batchMax?: number; queueMax?: number }) {
  const timer = manualTimer(0);
  const commits: string[][] = [];
  const voided: string[][] = [];
  const repo = {
    voidAdmitted: (items: Admission[]) => {
      voided.push(items.map((i) => i.tapId));
      return Promise.resolve(items.length);
    },
    commit: (items: Admission[]) => {
      commits.push(items.map((i) => i.tapId));
      return new Promise<AdmissionResult[]>((resolve, reject) =>
        timer.after(opts.commitMs, () =>
          opts.fails
            ? reject(new Error('connection lost'))
            : resolve(items.map(() => ({ kind: 'admitted' }))),
        ),
      );
    },
  } as unknown as AdmissionsRepository;
  const batcher = new AdmissionBatcher(
    repo,
    {
      checkInBatchMax: opts.batchMax ?? 256,
      // 1 ms, on the manual timer: the batch leaves at t=1.
      checkInBatchWindowMs: 1,
      admissionQueueMax: opts.queueMax ?? 100,
      antiPassbackMinutes: 240,
    },
    silent,
    new Metrics(),
    timer,
  );
  const answers = new Map<string, { outcome: CommitOutcome['kind']; atMs: number }>();
  const submit = (a: Admission, deadlineMs: number) =>
    void batcher
      .submit(a, deadlineMs)
      .then((o) => answers.set(a.tapId, { outcome: o.kind, atMs: timer.now() }));
  /** Moves time one millisecond at a time, letting promises settle in between. */
  const runTo = async (ms: number) => {
    const settle = async () => {
      for (let i = 0; i < 5; i++) await Promise.resolve();
    };
    await settle();
    while (timer.now() < ms) {
      timer.advance(1);
      await settle();
    }
  };
  return { timer, batcher, commits, voided, answers, submit, runTo };
}

describe('AdmissionBatcher deadlines', () => {
  // The batch leaves at t=1; the tap's deadline is t=100.
  it.each<{ name: string; commitMs: number; fails?: boolean; outcome: string; atMs: number }>([
    { name: 'lands 1 ms before the deadline', commitMs: 98, outcome: 'admitted', atMs: 99 },
    { name: 'lands at the deadline', commitMs: 99, outcome: 'unavailable', atMs: 100 },
    { name: 'lands 1 ms after the deadline', commitMs: 100, outcome: 'unavailable', atMs: 100 },
    { name: 'never lands in time', commitMs: 10_000, outcome: 'unavailable', atMs: 100 },
    { name: 'fails early', commitMs: 40, fails: true, outcome: 'unavailable', atMs: 41 },
  ])('a commit that $name: the tap is answered $outcome at t=$atMs', async (row) => {
    const t = setup(row);
    t.submit(admission(1), 100);
    await t.runTo(200);
    expect(t.answers.get('tap-000001')).toEqual({ outcome: row.outcome, atMs: row.atMs });
    // What committed after its tap was answered is released, and so is what a connection lost
    // mid-commit may have committed; what was answered open is not.
    const maybeCommitted = row.commitMs < 10_000 && row.outcome === 'unavailable';
    expect(t.voided).toEqual(maybeCommitted ? [['tap-000001']] : []);
  });

  it('tells the database to refuse the commit 20 ms before each tap deadline (the fence)', async () => {
    const remaining: number[][] = [];
    const t = setup({ commitMs: 5 });
    const commit = (t.batcher as unknown as { repo: { commit: (...a: unknown[]) => unknown } })
      .repo;
    const original = commit.commit;
    commit.commit = (...a: unknown[]) => {
      remaining.push(a[2] as number[]);
      return original(...a);
    };
    t.submit(admission(1), 100);
    t.submit(admission(2), 300);
    await t.runTo(50);
    expect(remaining).toEqual([[100 - 1 - 20, 300 - 1 - 20]]);
  });

  it('never sends a tap with 20 ms or less left: it is answered at once', async () => {
    const t = setup({ commitMs: 5 });
    t.submit(admission(1), 21);
    t.submit(admission(2), 22);
    await t.runTo(10);
    expect(t.answers.get('tap-000001')).toEqual({ outcome: 'unavailable', atMs: 1 });
    expect(t.commits).toEqual([['tap-000002']]);
  });

  it('answers a tap whose deadline has passed at once, and never commits it', async () => {
    const t = setup({ commitMs: 5 });
    await t.runTo(50);
    t.submit(admission(1), 50);
    await t.runTo(51);
    expect(t.answers.get('tap-000001')).toEqual({ outcome: 'unavailable', atMs: 50 });
    await t.runTo(100);
    expect(t.commits).toEqual([]);
  });

  it('answers a tap still queued at its deadline, takes it off the queue, and never commits it', async () => {
    // Batches of one (each leaves at once), three commits at once: tap 4 waits behind taps 1-3.
    const t = setup({ commitMs: 150, batchMax: 1 });
    for (let n = 1; n <= 3; n++) t.submit(admission(n), 500);
    t.submit(admission(4), 80);
    await t.runTo(80);
    expect(t.answers.get('tap-000004')).toEqual({ outcome: 'unavailable', atMs: 80 });
    expect(t.batcher.pending).toBe(3); // the three committing batches; the queue is empty
    await t.runTo(400);
    expect(t.answers.get('tap-000001')).toEqual({ outcome: 'admitted', atMs: 150 });
    expect(t.commits).toEqual([['tap-000001'], ['tap-000002'], ['tap-000003']]);
  });

  it('beyond ADMISSION_QUEUE_MAX waiting taps, answers the next one at once', async () => {
    // Batches of one, three commits at once: taps 1-3 commit, 4-5 wait, 6 is refused.
    const t = setup({ commitMs: 1_000, batchMax: 1, queueMax: 2 });
    for (let n = 1; n <= 5; n++) t.submit(admission(n), 500);
    await t.runTo(2);
    expect(t.commits).toHaveLength(3);
    t.submit(admission(6), 500);
    await t.runTo(3);
    expect(t.answers.get('tap-000006')).toEqual({ outcome: 'unavailable', atMs: 2 });
    expect(t.answers.size).toBe(1);
    await t.runTo(2_000);
    for (let n = 1; n <= 5; n++)
      expect(t.answers.get(admission(n).tapId)).toEqual({ outcome: 'unavailable', atMs: 500 });
    // The waiting two left the queue at their deadline: they never reached the database.
    expect(t.commits).toHaveLength(3);
    expect(t.batcher.pending).toBe(0);
  });

  it('shares one batch between taps that arrive together, each answered by its own deadline', async () => {
    const t = setup({ commitMs: 60 });
    t.submit(admission(1), 50);
    t.submit(admission(2), 70);
    await t.runTo(100);
    expect(t.commits).toEqual([['tap-000001', 'tap-000002']]);
    expect(t.answers.get('tap-000001')).toEqual({ outcome: 'unavailable', atMs: 50 });
    expect(t.answers.get('tap-000002')).toEqual({ outcome: 'admitted', atMs: 61 });
  });
});
